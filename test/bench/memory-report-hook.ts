/**
 * A V8 heap reporter for the cluster's own processes, preloaded into every Node process a
 * benchmark starts (agent-memory.bench.ts sets this itself):
 *
 *   NODE_OPTIONS=--import=$PWD/dist/test/bench/memory-report-hook.js
 *
 * In agents and the control plane it does nothing until SIGWINCH (ignored by a Node process
 * without it, so sending it is harmless); each SIGWINCH writes the main thread's
 * process.memoryUsage() and V8 heap statistics to /tmp/berth-memory/<pid>.json, replacing the
 * file atomically (a fixed place: `berth up` hands its processes no environment but NODE_OPTIONS).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

/** HeapReport is what the hook writes; sizes in bytes. */
export interface HeapReport {
  atMs: number;
  memoryUsage: NodeJS.MemoryUsage;
  heap: ReturnType<typeof getHeapStatistics>;
  spaces: Array<{ name: string; size: number; used: number; committed: number }>;
}

/** The directory the hook writes to. */
export const memoryReportDir = '/tmp/berth-memory';

const entry = process.argv[1] ?? '';
const watched = /(node-agent|control-plane)\/main\.js$/.test(entry);

if (watched && isMainThread) {
  process.on('SIGWINCH', () => {
    const report: HeapReport = {
      atMs: Date.now(),
      memoryUsage: process.memoryUsage(),
      heap: getHeapStatistics(),
      spaces: getHeapSpaceStatistics().map((s) => ({ name: s.space_name, size: s.space_size, used: s.space_used_size, committed: s.physical_space_size })),
    };
    mkdirSync(memoryReportDir, { recursive: true });
    const file = join(memoryReportDir, `${process.pid}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(report));
    renameSync(`${file}.tmp`, file);
  });
}
