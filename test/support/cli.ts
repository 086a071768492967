import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testCliConfig } from './test-pki.js';

/** The repository root, from dist/test/support. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BERTH_BIN = join(REPO_ROOT, 'dist', 'cli', 'main.js');
export const CONTROL_PLANE_BIN = join(REPO_ROOT, 'dist', 'control-plane', 'main.js');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * berth runs the real `berth` command, as a user would, against `server`. HOME points at an
 * empty place so no user config leaks into the test; the CLI config (BERTH_CONFIG) is the test
 * admin's unless `env` names another. NODE_OPTIONS passes through, so a profiler preloaded with
 * `--import` reaches the processes `berth up` starts.
 */
export async function berth(server: string | undefined, args: string[], input?: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const config = await testCliConfig();
  return runCollecting(process.execPath, [BERTH_BIN, ...args], { PATH: process.env.PATH, HOME: '/nonexistent', BERTH_CONFIG: config, ...(process.env.NODE_OPTIONS ? { NODE_OPTIONS: process.env.NODE_OPTIONS } : {}), ...(server ? { BERTH_SERVER: server } : {}), ...env }, input ?? '');
}

/** runCollecting runs `command` with exactly `env`, feeds it `input`, and collects its exit code and output. */
export function runCollecting(command: string, args: string[], env: NodeJS.ProcessEnv, input: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
