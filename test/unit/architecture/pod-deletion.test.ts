import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot, typeScriptSources } from '../../support/source-files.js';

/** Where a pod object may be removed: the one deletion function, and the end of a graceful deletion. */
const POD_REMOVERS = new Set(['control-plane/store/pod-deletion.ts', 'control-plane/nodes/pod-termination.ts']);

describe('architecture: one way to delete a pod', () => {
  it('removes pod objects only in deletePod and FinishPodTermination (every other deleter goes through deletePod)', () => {
    const root = repoRoot();
    const offenders = typeScriptSources(join(root, 'control-plane'))
      .filter((file) => /\b(?:delete|deleteObject)\(\s*(?:pods|RESOURCE\.pods)\b/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file))
      .filter((file) => !POD_REMOVERS.has(file));
    expect(offenders).to.deep.equal([]);
  });
});
