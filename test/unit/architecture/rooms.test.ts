import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot, typeScriptSources } from '../../support/source-files.js';

/**
 * The control plane's rooms and their one-way doors, checked on the sources: a room may import
 * only the rooms listed for it (and proto/, and the top-level errors/log modules). The reasons
 * are in docs/architecture.md ("Rooms of the control plane").
 */
const ALLOWED: Record<string, readonly string[]> = {
  objects: [],
  store: ['objects'],
  watch: ['store', 'objects'],
  etcd: [],
  events: ['store', 'objects'],
  leader: ['store'],
  api: ['store', 'objects'],
  nodes: ['store', 'watch', 'objects', 'events'],
  scheduler: ['store', 'watch', 'objects', 'events'],
  controllers: ['store', 'watch', 'objects', 'events'],
  // Bootstrap tokens, node certificates and joining; the join endpoint and renewal are served by grpc/.
  bootstrap: ['store'],
  authz: ['store', 'api'],
  grpc: ['api', 'nodes', 'authz', 'bootstrap'],
  // The control plane's own credentials (--pki-dir): read at start, handed to the rooms that serve and call.
  tls: [],
};
/** Modules at the top of control-plane/ that every room may use. */
const SHARED = new Set(['errors.ts', 'log.ts']);

/** The relative modules a file imports (static imports and re-exports). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1] as string);
}

describe('architecture: the rooms of control-plane/', () => {
  const root = repoRoot();
  const controlPlane = join(root, 'control-plane');

  it('has a rule for every room', () => {
    const rooms = readdirSync(controlPlane).filter((n) => statSync(join(controlPlane, n)).isDirectory());
    expect(rooms.filter((r) => !(r in ALLOWED))).to.deep.equal([]);
  });

  it('imports across rooms only through the allowed doors', () => {
    const wrong: string[] = [];
    for (const file of typeScriptSources(controlPlane)) {
      const room = relative(controlPlane, file).split('/')[0] as string;
      const allowed = ALLOWED[room];
      if (!allowed) continue; // control-plane.ts and main.ts wire every room together
      for (const spec of importsOf(file).filter((s) => s.startsWith('.'))) {
        const target = relative(controlPlane, resolve(dirname(file), spec));
        if (target.startsWith('..')) continue; // proto/
        const targetRoom = target.split('/')[0] as string;
        if (targetRoom === room || SHARED.has(targetRoom.replace(/\.js$/, '.ts'))) continue;
        if (!allowed.includes(targetRoom)) wrong.push(`${relative(root, file)} imports ${spec}`);
      }
    }
    expect(wrong).to.deep.equal([]);
  });

  it('lets only the store (and the embedded etcd) talk to etcd', () => {
    const offenders = ['cli', 'control-plane', 'node-agent', 'proto', 'test']
      .flatMap((dir) => typeScriptSources(join(root, dir)))
      .filter((file) => importsOf(file).some((spec) => spec === 'etcd3'))
      .map((file) => relative(root, file))
      .filter((file) => !file.startsWith('control-plane/store/') && !file.startsWith('control-plane/etcd/'));
    expect(offenders).to.deep.equal([]);
  });
});
