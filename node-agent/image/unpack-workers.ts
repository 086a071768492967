/**
 * UnpackWorkers is used by the layer store to unpack layers on worker threads (see
 * layer-unpack-worker.ts for why). Workers start when a layer needs unpacking, are reused while
 * layers keep coming, end after IDLE_MS without a job, and never keep the process alive while
 * idle. Input is flow-controlled: at most FLOW_WINDOW bytes are in flight to a worker, so a slow
 * disk slows the download instead of filling memory.
 */
import { finished, Writable, type Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';

import { ImageError, LayerUnpackError } from './errors.js';
import type { DecodedLayer } from './layer-decode.js';
import type { LayerLimits } from './layer-limits.js';
import type { LayerCompression } from './media-types.js';
import type { JobFailure, WorkerReply, WorkerRequest } from './unpack-protocol.js';

const FLOW_WINDOW = 4 * 1024 * 1024;
// Unpacking is disk-bound: a few workers overlap their waits, more only contend for the
// journal. Layers beyond this wait for a free worker.
const MAX_WORKERS = 4;
// Each worker is a V8 isolate of its own (about 10 MB resident), and a node pulls rarely: an
// idle worker ends after this long. Starting one again costs some 30 ms, next to a download.
const IDLE_MS = 10_000;

interface Job {
  id: number;
  onAck: (bytes: number) => void;
  settle: (r: { ok: true; decoded: DecodedLayer } | { ok: false; error: JobFailure }) => void;
}

class UnpackWorker {
  private readonly worker: Worker;
  job: Job | undefined;
  dead = false;
  // Handed out by the pool (between acquire and release).
  reserved = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor() {
    this.worker = new Worker(new URL('./layer-unpack-worker.js', import.meta.url), { trackUnmanagedFds: false });
    this.worker.on('message', (m: WorkerReply) => {
      const job = this.job;
      if (job === undefined || m.job !== job.id) return;
      if (m.type === 'ack') return job.onAck(m.bytes);
      this.job = undefined;
      this.worker.unref();
      job.settle(m.type === 'done' ? { ok: true, decoded: m.decoded } : { ok: false, error: m.error });
    });
    const die = (e: Error): void => {
      this.dead = true;
      this.job?.settle({ ok: false, error: { message: `unpack worker stopped: ${e.message}` } });
      this.job = undefined;
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`exit code ${code}`)));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    this.worker.unref();
  }

  post(m: WorkerRequest): void {
    if (m.type !== 'chunk') return this.worker.postMessage(m);
    // A chunk may be a view into a larger shared buffer, which cloning would copy whole:
    // copy just the view and hand its memory over.
    const data = new Uint8Array(m.data);
    this.worker.postMessage({ ...m, data }, [data.buffer]);
  }

  begin(job: Job): void {
    if (this.dead) return job.settle({ ok: false, error: { message: 'unpack worker stopped' } });
    this.job = job;
    // A running job keeps the process alive until it reports back.
    this.worker.ref();
  }

  /** Ends the worker after IDLE_MS unless it is handed out again (rest() again restarts the wait). */
  rest(onEnd: () => void): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.reserved || this.job !== undefined || this.dead) return;
      this.dead = true;
      onEnd();
      void this.worker.terminate();
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  /** Called when the pool hands the worker out: it is not idle any more. */
  wake(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

/** A pool of unpack workers shared by every layer store of the process. */
class UnpackWorkers {
  private readonly workers: UnpackWorker[] = [];
  private readonly waiting: Array<(w: UnpackWorker) => void> = [];
  private nextJob = 1;

  /**
   * Unpacks `raw` (compressed layer bytes) into the existing, empty directory `dir`,
   * consuming `raw` to its end unless `limits` stop it. Rejects with LayerUnpackError or
   * ImageError (the latter also for a layer past its limits); when it settles
   * the worker no longer touches `dir`.
   */
  async decode(raw: Readable, compression: Exclude<LayerCompression, 'zstd'>, dir: string, what: string, limits: LayerLimits): Promise<DecodedLayer> {
    const w = await this.acquire();
    try {
      return await this.run(w, raw, compression, dir, what, limits);
    } finally {
      this.release(w);
    }
  }

  private run(w: UnpackWorker, raw: Readable, compression: Exclude<LayerCompression, 'zstd'>, dir: string, what: string, limits: LayerLimits): Promise<DecodedLayer> {
    const id = this.nextJob++;
    return new Promise<DecodedLayer>((resolve, reject) => {
      let inFlight = 0;
      let blocked: (() => void) | undefined;
      let settled = false;
      const sink = new Writable({
        highWaterMark: 0,
        write(chunk: Buffer, _enc, cb) {
          if (settled) return cb(); // the job failed early: discard the rest
          inFlight += chunk.length;
          w.post({ type: 'chunk', job: id, data: chunk });
          if (inFlight < FLOW_WINDOW) cb();
          else blocked = cb;
        },
        final(cb) {
          if (!settled) w.post({ type: 'end', job: id });
          cb();
        },
      });
      // Also fires at once for a stream that failed (or was destroyed) before we got it.
      const stopWatching = finished(raw, { writable: false }, (e) => {
        if (e && !settled) w.post({ type: 'abort', job: id, message: e.message });
      });
      w.begin({
        id,
        onAck: (bytes) => {
          inFlight -= bytes;
          if (blocked && inFlight < FLOW_WINDOW) {
            const cb = blocked;
            blocked = undefined;
            cb();
          }
        },
        settle: (r) => {
          settled = true;
          stopWatching();
          raw.unpipe(sink);
          blocked?.();
          blocked = undefined;
          if (r.ok) return resolve(r.decoded);
          const u = r.error.unpack;
          reject(u ? new LayerUnpackError(u.layer, u.entry, u.reason) : new ImageError(`${what}: cannot unpack: ${r.error.message}`));
        },
      });
      w.post({ type: 'start', job: id, compression, dir, what, limits });
      raw.pipe(sink);
    });
  }

  /**
   * Starts workers up to `n` (at most MAX_WORKERS) ahead of need, so that a layer whose
   * download is starting does not then wait for its worker to boot.
   */
  prestart(n: number): void {
    this.prune();
    while (this.workers.length < Math.min(n, MAX_WORKERS)) this.workers.push(this.started());
  }

  /** How many workers are alive (busy or idle). */
  get size(): number {
    return this.workers.filter((w) => !w.dead).length;
  }

  private started(): UnpackWorker {
    const w = new UnpackWorker();
    w.rest(() => this.prune());
    return w;
  }

  private async acquire(): Promise<UnpackWorker> {
    const idle = this.workers.find((w) => w.job === undefined && !w.dead && !w.reserved);
    if (idle) {
      idle.reserved = true;
      idle.wake();
      return idle;
    }
    this.prune();
    if (this.workers.length < MAX_WORKERS) {
      const w = new UnpackWorker();
      w.reserved = true;
      this.workers.push(w);
      return w;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(w: UnpackWorker): void {
    w.reserved = false;
    if (w.dead) this.prune();
    const next = this.waiting.shift();
    if (next === undefined) {
      if (!w.dead) w.rest(() => this.prune());
      return;
    }
    const handOff = w.dead ? new UnpackWorker() : w;
    if (w.dead) this.workers.push(handOff);
    handOff.reserved = true;
    next(handOff);
  }

  private prune(): void {
    for (let i = this.workers.length - 1; i >= 0; i--) if (this.workers[i]?.dead) this.workers.splice(i, 1);
  }
}

/** The process-wide unpack pool. */
export const unpackWorkers = new UnpackWorkers();
