import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** HostCommandError is a failed `ip`/`umount`/… command, with its stderr. */
export class HostCommandError extends Error {
  override name = 'HostCommandError';
  constructor(readonly argv: string[], readonly stderr: string) {
    super(`${argv.join(' ')}: ${stderr.trim() || 'failed'}`);
  }
}

/** sh runs a host command (no shell) and returns its stdout; a failure throws HostCommandError. */
export async function sh(file: string, args: string[], timeoutMs = 30_000): Promise<string> {
  try {
    const { stdout } = await execFileAsync(file, args, { timeout: timeoutMs, maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new HostCommandError([file, ...args], e.stderr || e.message);
  }
}

/** shQuiet runs a host command whose failure means "already done" (teardown); it reports whether it succeeded. */
export async function shQuiet(file: string, args: string[]): Promise<boolean> {
  try {
    await sh(file, args);
    return true;
  } catch {
    return false;
  }
}
