import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Where a pod object may be removed: the one deletion function, and the end of a graceful deletion. */
const POD_REMOVERS = new Set(['control-plane/store/pod-deletion.ts', 'control-plane/nodes/pod-termination.ts']);

describe('architecture: one way to delete a pod', () => {
  it('removes pod objects only in deletePod and FinishPodTermination (every other deleter goes through deletePod)', () => {
    const root = repoRoot();
    const offenders = sources(join(root, 'control-plane'))
      .filter((file) => /\b(?:delete|deleteObject)\(\s*(?:pods|RESOURCE\.pods)\b/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file))
      .filter((file) => !POD_REMOVERS.has(file));
    expect(offenders).to.deep.equal([]);
  });
});
