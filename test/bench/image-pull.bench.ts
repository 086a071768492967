/**
 * Pull time of Berth's ImageStore (fresh store each run: download, verify, unpack) against
 * `skopeo copy` of the same image from the same registry into a local OCI directory
 * (download and verify only, no unpack). Prints medians and their ratio, plus when Berth had
 * all blobs verified. Berth unpacks layers while they download, so the second line times
 * Berth's download + verify alone (content store only, no unpack): the like-for-like
 * comparison with skopeo, which never unpacks.
 *
 *   npx tsc -b && node dist/test/bench/image-pull.bench.js [runs]   (default 7; BENCH_LARGE_MB=64)
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

import { ContentStore } from '../../node-agent/image/content-store.js';
import { ImageStore, parseReference } from '../../node-agent/image/index.js';
import { parseManifestDocument } from '../../node-agent/image/manifest.js';
import { RegistryClient } from '../../node-agent/image/registry-client.js';
import { buildBusyboxImage, buildImage, busyboxBaseLayer, WHITEOUT_LAYER } from '../support/image-build.js';
import { buildTar } from '../support/image-tar.js';
import { startRegistry, type TestRegistry } from '../support/registry-server.js';

const run = promisify(execFile);
const runs = Number(process.argv[2] ?? 7);
const largeMb = Number(process.env['BENCH_LARGE_MB'] ?? 64);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function time(f: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

// A layer of half-compressible files, like typical application content.
function largeLayer(mb: number, seed: number): Buffer {
  const files = [];
  for (let i = 0; i < mb; i++) {
    const noise = randomBytes(512 * 1024);
    files.push({ name: `data/${seed}/f${i}.bin`, content: Buffer.concat([noise, Buffer.alloc(512 * 1024, i)]) });
  }
  return buildTar([{ name: 'data/', type: 'dir' as const }, { name: `data/${seed}/`, type: 'dir' as const }, ...files]);
}

// Berth's download + verify of every blob into a fresh content store, 3 blobs at a time as a pull does.
async function downloadOnly(registry: TestRegistry, reference: string, root: string): Promise<void> {
  const ref = parseReference(reference);
  const client = new RegistryClient({ insecureRegistries: [registry.address] });
  const content = new ContentStore(root);
  await content.init();
  const m = await client.getManifest(ref, ref.tag as string);
  const doc = parseManifestDocument(m.bytes, m.contentType, reference);
  if (doc.kind !== 'manifest') throw new Error('bench images are single-platform');
  const queue = [doc.manifest.config, ...doc.manifest.layers];
  const worker = async (): Promise<void> => {
    for (let d = queue.shift(); d !== undefined; d = queue.shift()) {
      const desc = d;
      await client.fetchBlob(ref, desc.digest, (body) => content.ingest(desc.digest, desc.size, body, desc.digest));
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}

async function bench(registry: TestRegistry, label: string, reference: string, work: string): Promise<void> {
  const berth: number[] = [];
  const download: number[] = [];
  const skopeo: number[] = [];
  const fetchOnly: number[] = [];
  for (let i = 0; i < runs; i++) {
    const blobs = join(work, `blobs-${label}-${i}`);
    fetchOnly.push(await time(() => downloadOnly(registry, reference, blobs)));
    await rm(blobs, { recursive: true, force: true });
    const root = join(work, `berth-${label}-${i}`);
    const t0 = performance.now();
    let lastDownload = 0;
    const store = new ImageStore({ root, insecureRegistries: [registry.address] });
    await store.pull(reference, { onProgress: (e) => void (e.kind === 'download-done' && (lastDownload = performance.now() - t0)) });
    berth.push(performance.now() - t0);
    download.push(lastDownload);
    await rm(root, { recursive: true, force: true });
    const oci = join(work, `skopeo-${label}-${i}`);
    skopeo.push(await time(async () => void (await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${reference}`, `oci:${oci}:bench`]))));
    await rm(oci, { recursive: true, force: true });
  }
  const b = median(berth);
  const s = median(skopeo);
  console.log(
    `${label.padEnd(28)} berth pull ${b.toFixed(0).padStart(5)} ms (all blobs in after ${median(download).toFixed(0)} ms)` +
      `   skopeo copy ${s.toFixed(0).padStart(5)} ms   berth/skopeo ${(b / s).toFixed(2)}` +
      `   (runs ${runs}; berth ${berth.map((x) => x.toFixed(0)).join(' ')}; skopeo ${skopeo.map((x) => x.toFixed(0)).join(' ')})`,
  );
  const f = median(fetchOnly);
  console.log(
    `${''.padEnd(28)} berth download+verify only ${f.toFixed(0).padStart(5)} ms   berth/skopeo ${(f / s).toFixed(2)}` +
      `   (${fetchOnly.map((x) => x.toFixed(0)).join(' ')})`,
  );
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'berth-bench-pull-'));
  const registry = await startRegistry();
  const cleanup = async (): Promise<void> => {
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    const app = await buildBusyboxImage(registry.address, 'bench/app', 'v1', WHITEOUT_LAYER);
    await bench(registry, 'busybox (2 layers, ~1 MB)', app.reference, work);
    if (largeMb > 0) {
      const per = Math.max(1, Math.floor(largeMb / 4));
      const layers = [busyboxBaseLayer(), largeLayer(per, 1), largeLayer(per, 2), largeLayer(per, 3), largeLayer(per, 4)];
      const big = await buildImage(registry.address, 'bench/large', 'v1', layers);
      await bench(registry, `large (5 layers, ~${per * 4} MB)`, big.reference, work);
    }
  } finally {
    await cleanup();
  }
}

await main();
