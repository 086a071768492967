import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { ClusterClient } from '../client.js';
import { configPath, readConfig } from '../config.js';
import { CliError } from '../errors.js';
import { controlPlaneEntry } from './paths.js';
import { isRunning, stopProcess } from './processes.js';

/** LocalClusterOptions: where the cluster keeps its state and which loopback ports it takes. */
export interface LocalClusterOptions {
  stateDir: string;
  listen: string;
  etcdPort: number;
}

/** What `berth up` records in <stateDir>/cluster.json so `berth down` can undo it. */
interface ClusterRecord {
  server: string;
  controlPlanePid: number;
  etcdPort: number;
}

const READY_TIMEOUT_MS = 30_000;

function recordPath(stateDir: string): string {
  return join(stateDir, 'cluster.json');
}

function readRecord(stateDir: string): ClusterRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(stateDir), 'utf8')) as ClusterRecord;
  } catch {
    return undefined;
  }
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * LocalCluster is everything `berth up` starts on this machine (DESIGN.md section 8): today the
 * control plane with its embedded etcd; node agents and the image registry join it with the
 * agent work. Lifecycle: up() starts what is missing and waits until ClusterAPI answers, then
 * points the CLI config at it; down() stops every process it recorded and removes its state.
 */
export class LocalCluster {
  constructor(private readonly options: LocalClusterOptions) {}

  async up(log: (line: string) => void): Promise<void> {
    const { stateDir, listen, etcdPort } = this.options;
    const existing = readRecord(stateDir);
    if (existing && isRunning(existing.controlPlanePid, controlPlaneEntry())) {
      log(`A local cluster is already running: control plane ${existing.server} (pid ${existing.controlPlanePid}).`);
      this.writeConfig(existing.server);
      return;
    }
    const [host = '127.0.0.1', portText = ''] = listen.split(/:(?=\d+$)/);
    for (const [h, p, what] of [[host, Number(portText), '--listen'], ['127.0.0.1', etcdPort, '--etcd-port'], ['127.0.0.1', etcdPort + 1, '--etcd-port (+1, the etcd peer port)']] as const) {
      if (!(await portFree(h, p))) throw new CliError(`port ${h}:${p} (${what}) is already in use; choose another with ${what.split(' ')[0]}`);
    }
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const logFile = join(stateDir, 'control-plane.log');
    const logFd = openSync(logFile, 'a');
    const child = spawn(process.execPath, [controlPlaneEntry(), '--listen', listen, '--data-dir', join(stateDir, 'control-plane'), '--embedded-etcd-port', String(etcdPort)], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    child.unref();
    const pid = child.pid;
    if (!pid) throw new CliError('could not start berth-control-plane');
    const record: ClusterRecord = { server: listen, controlPlanePid: pid, etcdPort };
    writeFileSync(recordPath(stateDir), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });

    const client = new ClusterClient(listen);
    try {
      const deadline = Date.now() + READY_TIMEOUT_MS;
      for (;;) {
        try {
          await client.list({ resource: 'namespaces' });
          break;
        } catch (err) {
          if (!isRunning(pid, controlPlaneEntry()) || Date.now() > deadline) {
            await this.down(() => undefined);
            const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
            throw new CliError(`the control plane did not come up (${(err as Error).message}). Last lines of ${logFile}:\n${tail}`);
          }
          await sleep(100);
        }
      }
    } finally {
      client.close();
    }
    this.writeConfig(listen);
    log(`Control plane ready at ${listen} (pid ${pid}), embedded etcd on 127.0.0.1:${etcdPort}.`);
    log(`State and logs in ${stateDir}. The berth CLI now talks to this cluster (${configPath()}).`);
  }

  async down(log: (line: string) => void): Promise<void> {
    const { stateDir } = this.options;
    const record = readRecord(stateDir);
    if (record) {
      await stopProcess(record.controlPlanePid, controlPlaneEntry());
      log(`Stopped the control plane (pid ${record.controlPlanePid}) and its etcd.`);
      if (readConfig().server === record.server) rmSync(configPath(), { force: true });
    } else {
      log(`No local cluster recorded in ${stateDir}.`);
    }
    rmSync(stateDir, { recursive: true, force: true });
  }

  private writeConfig(server: string): void {
    const path = configPath();
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, stringify({ ...readConfig(path), server }), { mode: 0o600 });
  }
}
