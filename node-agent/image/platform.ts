/** Platform selection from an index: which manifest this node runs. */
import { NoMatchingPlatformError } from './errors.js';
import type { Descriptor, Platform } from './manifest.js';

// Node's process.arch → the GOARCH names images use.
const ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips64el: 'mips64le',
};

/** The platform of this node: linux plus process.arch (and the ARM variant). */
export function hostPlatform(): Platform {
  const architecture = ARCH[process.arch] ?? process.arch;
  const p: Platform = { os: 'linux', architecture };
  if (architecture === 'arm64') p.variant = 'v8';
  if (architecture === 'arm') {
    const v = (process.config.variables as Record<string, unknown>)['arm_version'];
    p.variant = `v${typeof v === 'string' || typeof v === 'number' ? v : '7'}`;
  }
  return p;
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

// Lower is better; undefined means the platform cannot run here. An exact variant wins, then
// an entry without variant (arm64's usual case), then an older ARM variant (v7 runs v6, v5).
function score(want: Platform, have: Platform): number | undefined {
  if (have.os !== want.os || have.architecture !== want.architecture) return undefined;
  if (want.variant === undefined || have.variant === want.variant) return 0;
  if (have.variant === undefined || have.variant === '') return 1;
  const w = /^v(\d+)$/.exec(want.variant);
  const h = /^v(\d+)$/.exec(have.variant);
  if (want.architecture === 'arm' && w && h && Number(h[1]) < Number(w[1])) return 2 + Number(w[1]) - Number(h[1]);
  return undefined;
}

/** Picks the best manifest for `want` from an index, or throws NoMatchingPlatformError. */
export function selectManifest(reference: string, manifests: readonly Descriptor[], want: Platform): Descriptor {
  let best: { d: Descriptor; s: number } | undefined;
  for (const d of manifests) {
    if (d.platform === undefined) continue;
    const s = score(want, d.platform);
    if (s !== undefined && (best === undefined || s < best.s)) best = { d, s };
  }
  if (best === undefined) {
    const available = manifests.filter((d) => d.platform).map((d) => formatPlatform(d.platform as Platform));
    throw new NoMatchingPlatformError(reference, formatPlatform(want), available);
  }
  return best.d;
}
