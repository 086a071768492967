/**
 * Entry point of an unpack worker thread. The file system calls of unpacking (one create per
 * tar entry, ~0.3 ms each on slow disks) block their thread; running them here keeps the
 * agent's event loop free for downloads and lets layers unpack side by side.
 *
 * Protocol (one job at a time, every message tagged with the job id):
 *   main → worker  {type:'start', job, compression, dir, what, limits}, {type:'chunk', job, data},
 *                  {type:'end', job}, {type:'abort', job, message}
 *   worker → main  {type:'ack', job, bytes} as chunks enter the pipeline (flow control),
 *                  then exactly one {type:'done', job, decoded} or {type:'failed', job, error}.
 */
import { parentPort } from 'node:worker_threads';

import { LayerUnpackError } from './errors.js';
import { decodeLayer } from './layer-decode.js';
import type { UnpackJobStart, WorkerReply, WorkerRequest } from './unpack-protocol.js';

const port = parentPort;
if (port === null) throw new Error('layer-unpack-worker.ts must run in a worker thread');

/** The input of the running job: chunks queue here until the pipeline pulls them. */
class ChunkQueue implements AsyncIterable<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly job: number) {}

  push(c: Uint8Array): void {
    this.chunks.push(c);
    this.notify();
  }

  end(failure?: Error): void {
    this.ended = true;
    this.failure ??= failure;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.failure) throw this.failure;
      const c = this.chunks.shift();
      if (c !== undefined) {
        send({ type: 'ack', job: this.job, bytes: c.length });
        yield c;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

let current: { job: number; input: ChunkQueue } | undefined;

function send(m: WorkerReply): void {
  port?.postMessage(m);
}

async function run(m: UnpackJobStart): Promise<void> {
  const input = new ChunkQueue(m.job);
  current = { job: m.job, input };
  try {
    const decoded = await decodeLayer(input, m.compression, m.dir, m.what, m.limits);
    send({ type: 'done', job: m.job, decoded });
  } catch (e) {
    const err = e as Error;
    const prefix = e instanceof LayerUnpackError ? `layer ${e.layer}: cannot unpack "${e.entry}": ` : '';
    const unpack = e instanceof LayerUnpackError ? { layer: e.layer, entry: e.entry, reason: err.message.slice(prefix.length) } : undefined;
    send({ type: 'failed', job: m.job, error: { message: err.message, ...(unpack ? { unpack } : {}) } });
  } finally {
    if (current?.job === m.job) current = undefined;
  }
}

port.on('message', (m: WorkerRequest) => {
  if (m.type === 'start') {
    void run(m);
    return;
  }
  // Messages of a job that already finished (it failed early) are dropped.
  if (current?.job !== m.job) return;
  if (m.type === 'chunk') current.input.push(m.data);
  else if (m.type === 'end') current.input.end();
  else current.input.end(new Error(m.message));
});
