import { expect } from 'chai';

import { InvalidReferenceError, normalizeReference, parseReference } from '../../../node-agent/image/index.js';

describe('image reference parsing', () => {
  const cases: Array<[string, string]> = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['someuser/app:v1', 'docker.io/someuser/app:v1'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox:1', 'docker.io/library/busybox:1'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/x/y:tag', 'localhost:5000/x/y:tag'],
    ['127.0.0.1:5000/team/app:2.0-rc.1', '127.0.0.1:5000/team/app:2.0-rc.1'],
    ['quay.io/org/repo', 'quay.io/org/repo:latest'],
    ['[::1]:5000/app:v', '[::1]:5000/app:v'],
    ['my_repo/sub-path/name__x', 'docker.io/my_repo/sub-path/name__x:latest'],
  ];
  for (const [input, want] of cases) {
    it(`normalizes ${input}`, () => expect(normalizeReference(input)).to.equal(want));
  }

  it('keeps a digest and does not add a default tag', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    const r = parseReference(`busybox@${d}`);
    expect(r).to.deep.equal({ registry: 'docker.io', repository: 'library/busybox', digest: d });
    expect(normalizeReference(`127.0.0.1:5000/app:v1@${d}`)).to.equal(`127.0.0.1:5000/app:v1@${d}`);
  });

  it('separates host port from tag', () => {
    const r = parseReference('localhost:5000/x/y');
    expect(r.registry).to.equal('localhost:5000');
    expect(r.repository).to.equal('x/y');
    expect(r.tag).to.equal('latest');
  });

  for (const bad of ['', 'UPPER/case', 'busybox@sha256:abc', 'busybox:', 'a//b', 'busybox:bad/tag', 'bad_-name', `x:${'t'.repeat(129)}`]) {
    it(`rejects ${JSON.stringify(bad)} with a reason`, () => {
      expect(() => parseReference(bad)).to.throw(InvalidReferenceError, /invalid image reference/);
    });
  }
});
