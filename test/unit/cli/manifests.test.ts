import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { readManifests } from '../../../cli/manifests.js';

/** readOne parses one manifest text as `berth apply -f` does. */
function readOne(text: string): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'berth-manifests-'));
  try {
    writeFileSync(join(dir, 'm.yaml'), text);
    const docs = readManifests([join(dir, 'm.yaml')], () => '');
    expect(docs).to.have.length(1);
    return docs[0]!.object;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('cli: manifests are read as kubectl reads them', () => {
  it('reads a leading-zero mode as octal, as in the secret volumes of the Kubernetes docs', () => {
    const pod = readOne('volumes:\n- name: s\n  secret:\n    secretName: x\n    defaultMode: 0400\n    items:\n    - {key: a, path: a, mode: 0644}\n') as { volumes: Array<{ secret: { defaultMode: number; items: Array<{ mode: number }> } }> };
    expect(pod.volumes[0]!.secret.defaultMode).to.equal(0o400);
    expect(pod.volumes[0]!.secret.items[0]!.mode).to.equal(0o644);
  });

  it('reads yes/no/on/off as booleans, as kubectl does', () => {
    expect(readOne('a: yes\nb: off\nc: "yes"\n')).to.deep.equal({ a: true, b: false, c: 'yes' });
  });

  it('keeps times of day and dates as strings', () => {
    expect(readOne('ports: 8080:80\nsince: 2024-01-01\ncount: 1_000\n')).to.deep.equal({ ports: '8080:80', since: '2024-01-01', count: 1000 });
  });
});
