import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'winston';

/** EmbeddedEtcdOptions: where its data lives and which loopback ports it takes. */
export interface EmbeddedEtcdOptions {
  dataDir: string;
  clientPort: number;
  peerPort: number;
  /** Path of the etcd binary; Debian's etcd-server installs /usr/bin/etcd. */
  binary?: string;
  logger?: Logger;
  /** Restart etcd when it exits on its own (the control plane wants this; tests that kill it do not). */
  supervise?: boolean;
}

const READY_TIMEOUT_MS = 20_000;

/**
 * EmbeddedEtcd runs a single-member etcd on loopback with its data under dataDir: the control
 * plane's default store (docs/architecture.md section 1). Lifecycle: start() spawns it and waits until it
 * answers; if it exits on its own it is restarted with backoff (when supervised); stop() sends
 * SIGTERM and waits. A pid file lets a control plane that was killed with -9 find and stop the
 * etcd it left behind before starting a new one on the same data.
 */
export class EmbeddedEtcd {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartDelayMs = 200;

  constructor(private readonly options: EmbeddedEtcdOptions) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.options.clientPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private get pidFile(): string {
    return join(this.options.dataDir, 'etcd.pid');
  }

  async start(): Promise<void> {
    this.stopping = false;
    mkdirSync(this.options.dataDir, { recursive: true, mode: 0o700 });
    await this.stopLeftover();
    this.spawnEtcd();
    await this.waitReady();
  }

  private spawnEtcd(): void {
    const { dataDir, clientPort, peerPort } = this.options;
    const client = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const logFd = openSync(join(dataDir, 'etcd.log'), 'a');
    const child = spawn(
      this.options.binary ?? 'etcd',
      [
        '--name', 'berth',
        '--data-dir', join(dataDir, 'member-data'),
        '--listen-client-urls', client,
        '--advertise-client-urls', client,
        '--listen-peer-urls', peer,
        '--initial-advertise-peer-urls', peer,
        '--initial-cluster', `berth=${peer}`,
        '--initial-cluster-state', 'new',
        // Keep history bounded like kube-apiserver does; watches survive compaction (PrefixWatch).
        '--auto-compaction-mode', 'periodic',
        '--auto-compaction-retention', '5m',
        '--logger', 'zap',
      ],
      { stdio: ['ignore', logFd, logFd], env: { ...process.env, ETCD_UNSUPPORTED_ARCH: process.env.ETCD_UNSUPPORTED_ARCH ?? '' } },
    );
    closeSync(logFd);
    this.child = child;
    if (child.pid) writeFileSync(this.pidFile, `${child.pid}\n`);
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopping || !this.options.supervise) return;
      this.options.logger?.warn('embedded etcd exited; restarting', { code, signal, delayMs: this.restartDelayMs });
      const delay = this.restartDelayMs;
      this.restartDelayMs = Math.min(this.restartDelayMs * 2, 10_000);
      setTimeout(() => {
        if (!this.stopping) this.spawnEtcd();
      }, delay).unref();
    });
  }

  /** waitReady polls etcd's health endpoint until it answers. */
  async waitReady(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (!this.child && !this.options.supervise) throw new Error(`etcd exited during start; see ${join(this.options.dataDir, 'etcd.log')}`);
      try {
        const res = await fetch(`${this.endpoint}/health`);
        if (res.ok) {
          this.restartDelayMs = 200;
          return;
        }
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = String(err);
      }
      await sleep(50);
    }
    throw new Error(`etcd at ${this.endpoint} did not become ready in ${timeoutMs} ms (${last}); see ${join(this.options.dataDir, 'etcd.log')}`);
  }

  /** stop sends SIGTERM and waits for the exit (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      rmSync(this.pidFile, { force: true });
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    rmSync(this.pidFile, { force: true });
  }

  /** kill ends etcd abruptly (SIGKILL), as a crash would; used by tests. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** restart starts etcd again after stop() or kill(), on the same data. */
  async restart(): Promise<void> {
    await this.start();
  }

  /**
   * stopLeftover ends an etcd that a previous control plane on this data dir left running,
   * identified by the pid file and confirmed by its command line (never by name alone).
   */
  private async stopLeftover(): Promise<void> {
    let pid: number;
    try {
      pid = Number(readFileSync(this.pidFile, 'utf8').trim());
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 0) return;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return;
    }
    if (!cmdline.includes(join(this.options.dataDir, 'member-data'))) return;
    this.options.logger?.warn('stopping an etcd left running by an earlier control plane', { pid });
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 200; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await sleep(50);
    }
    process.kill(pid, 'SIGKILL');
  }
}
