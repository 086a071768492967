import { expect } from 'chai';
import fc from 'fast-check';
import { ClusterClient } from '../../../cli/client.js';
import type { EtcdClient } from '../../../control-plane/store/etcd-client.js';
import { useControlPlaneWithClients } from '../../support/control-plane.js';
import type { TestControlPlane } from '../../support/control-plane.js';
import { etcdRevision } from '../../support/etcd-contents.js';
import { manifestFile } from '../../support/manifest-arbitraries.js';

const FILES = 1000;
const isMapping = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

describe('apply fuzzed with generated and mutated manifests, on a real control plane', function () {
  this.timeout(120_000);
  let cp: TestControlPlane;
  let client: ClusterClient;
  let etcd: EtcdClient;

  useControlPlaneWithClients((started) => ({ cp, client, etcd } = started));

  it(`answers ${FILES} files with results or problems naming a field, never writing part of a refused file`, async () => {
    let refused = 0;
    let documents = 0;
    await fc.assert(
      fc.asyncProperty(manifestFile, fc.boolean(), async (objects, dryRun) => {
        documents += objects.length;
        const before = await etcdRevision(etcd);
        const res = await client.apply({ dry_run: dryRun, documents: objects.map((o, i) => ({ source: 'fuzz.yaml', index: i + 1, json: JSON.stringify(o) })) });
        for (const e of res.errors) {
          // Only a document that is not a mapping at all has no field to name.
          if (isMapping(objects[e.index - 1])) expect(e.path, `${e.kind}: ${e.message}`).to.not.equal('');
          expect(e.message).to.not.equal('');
        }
        if (res.errors.length > 0 || dryRun) {
          refused += res.errors.length > 0 ? 1 : 0;
          expect(res.errors.length > 0 ? res.results : []).to.deep.equal([]);
          // etcd's revision moves with every write: unchanged, nothing was written.
          expect(await etcdRevision(etcd)).to.equal(before);
        } else {
          expect(res.results).to.have.length(objects.length);
        }
      }),
      { numRuns: FILES },
    );
    // The generators reach both sides: files refused and files written.
    expect(refused).to.be.within(FILES * 0.2, FILES * 0.95);
    expect(documents).to.be.greaterThan(2 * FILES);
    // Still serving, and nothing leaked onto Object.prototype from a "__proto__" field.
    expect((await client.get('namespaces', '', 'default')).metadata.name).to.equal('default');
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });
});
