import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { validateObject } from '../../../proto/validation/index.js';
import { REPO_ROOT } from '../../support/cli.js';

// The manifests from the Kubernetes documentation that Berth must apply unchanged.
const EXAMPLES = join(REPO_ROOT, '..', 'shared', 'k8s-examples');

describe('the Kubernetes documentation examples', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

  it('are all present', () => {
    expect(files.length).to.be.greaterThan(5);
  });

  for (const file of files) {
    it(`${file} validates with no errors`, () => {
      const docs = parseAllDocuments(readFileSync(join(EXAMPLES, file), 'utf8')).filter((d) => d.contents !== null);
      expect(docs.length).to.be.greaterThan(0);
      for (const doc of docs) {
        expect(doc.errors).to.deep.equal([]);
        expect(validateObject(doc.toJS()).errors).to.deep.equal([]);
      }
    });
  }
});
