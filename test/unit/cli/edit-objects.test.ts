import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { ApiError } from '../../../cli/client.js';
import { editObjects, selectObjects } from '../../../cli/commands/edit-objects.js';
import type { EditClient, ObjectEdit } from '../../../cli/commands/edit-objects.js';
import { CliError } from '../../../cli/errors.js';
import type { BerthObject } from '../../../proto/objects/meta.js';

/**
 * FakeCluster holds objects by name with a resourceVersion, and refuses a patch whose version is
 * stale as the server does. `interfere` runs once before the first patch: another writer.
 */
class FakeCluster implements EditClient {
  readonly objects = new Map<string, BerthObject>();
  readonly patches: { name: string; patch: object; resourceVersion: string | undefined }[] = [];
  interfere: (() => void) | undefined;

  add(name: string, labels: Record<string, string> = {}): void {
    this.objects.set(name, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels, resourceVersion: '1' } });
  }

  bump(name: string, labels: Record<string, string>): void {
    const o = this.objects.get(name) as BerthObject;
    this.objects.set(name, { ...o, metadata: { ...o.metadata, labels, resourceVersion: String(Number(o.metadata.resourceVersion) + 1) } });
  }

  async get(_resource: string, _namespace: string, name: string): Promise<BerthObject> {
    const o = this.objects.get(name);
    if (!o) throw new ApiError(`Error from server (NotFound): pods "${name}" not found`, grpc.status.NOT_FOUND);
    return structuredClone(o);
  }

  async list(request: { label_selector: string }): Promise<{ items: BerthObject[] }> {
    const [key, value] = request.label_selector.split('=');
    return { items: [...this.objects.values()].filter((o) => !key || o.metadata.labels?.[key] === value).map((o) => structuredClone(o)) };
  }

  async patch(_resource: string, _namespace: string, name: string, patch: object, resourceVersion?: string): Promise<BerthObject> {
    this.interfere?.();
    this.interfere = undefined;
    this.patches.push({ name, patch, resourceVersion });
    const o = this.objects.get(name) as BerthObject;
    if (resourceVersion && resourceVersion !== o.metadata.resourceVersion) throw new ApiError(`Error from server (Conflict): Operation cannot be fulfilled on pods "${name}"`, grpc.status.ABORTED);
    const labels = { ...o.metadata.labels, ...(patch as { metadata: { labels: Record<string, string> } }).metadata.labels };
    this.bump(name, labels);
    return structuredClone(this.objects.get(name) as BerthObject);
  }
}

function collect() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { print: (l: string) => out.push(l), printErr: (l: string) => err.push(l) } };
}

/** setLabel is a small edit: refuse when `tier` is set, else set it (like `berth label pod X tier=web`). */
const setTier = (live: BerthObject): ObjectEdit => {
  if (live.metadata.labels?.tier) throw new CliError(`'tier' already has a value (${live.metadata.labels.tier}), and --overwrite is false`);
  return { patch: { metadata: { labels: { tier: 'web' } } }, operation: 'labeled', notes: ['a note'] };
};

describe('editObjects (the loop of label, annotate and taint)', () => {
  it('patches each named object guarded on the version it read, printing notes then kubectl\'s line', async () => {
    const cluster = new FakeCluster();
    cluster.add('a');
    cluster.add('b');
    const { out, err, output } = collect();
    await editObjects(cluster, selectObjects(['pods', 'a', 'b'], {}), setTier, output);
    expect(out).to.deep.equal(['a note', 'pod/a labeled', 'a note', 'pod/b labeled']);
    expect(err).to.deep.equal([]);
    expect(cluster.patches.map((p) => p.resourceVersion)).to.deep.equal(['1', '1']);
  });

  it('reads again and recomputes when another writer changed the object in between', async () => {
    const cluster = new FakeCluster();
    cluster.add('a');
    cluster.interfere = () => cluster.bump('a', { other: 'x' });
    const { out, output } = collect();
    await editObjects(cluster, selectObjects(['pod/a'], {}), setTier, output);
    expect(out).to.deep.equal(['a note', 'pod/a labeled']);
    expect(cluster.patches.map((p) => p.resourceVersion)).to.deep.equal(['1', '2']);
    expect(cluster.objects.get('a')?.metadata.labels).to.deep.equal({ other: 'x', tier: 'web' });
  });

  it('recomputes from what the other writer wrote, so its refusal still applies', async () => {
    const cluster = new FakeCluster();
    cluster.add('a');
    cluster.interfere = () => cluster.bump('a', { tier: 'db' });
    const { out, output } = collect();
    let failure: unknown;
    await editObjects(cluster, selectObjects(['pod/a'], {}), setTier, output).catch((e: unknown) => (failure = e));
    expect((failure as CliError).message).to.equal("'tier' already has a value (db), and --overwrite is false");
    expect(out).to.deep.equal([]);
    expect(cluster.objects.get('a')?.metadata.labels).to.deep.equal({ tier: 'db' });
  });

  it('reports a conflict instead of retrying when the user gave --resource-version', async () => {
    const cluster = new FakeCluster();
    cluster.add('a');
    const { output } = collect();
    let failure: unknown;
    await editObjects(cluster, selectObjects(['pod/a'], {}), setTier, output, '7').catch((e: unknown) => (failure = e));
    expect((failure as ApiError).message).to.match(/^Error from server \(Conflict\)/);
    expect(cluster.patches).to.have.length(1);
    expect(cluster.objects.get('a')?.metadata.labels).to.deep.equal({});
  });

  it('refuses --resource-version for more than one object', async () => {
    const cluster = new FakeCluster();
    cluster.add('a');
    cluster.add('b');
    let failure: unknown;
    await editObjects(cluster, selectObjects(['pods', 'a', 'b'], {}), setTier, collect().output, '1').catch((e: unknown) => (failure = e));
    expect((failure as CliError).message).to.equal('--resource-version may only be used with a single resource');
    expect(cluster.patches).to.deep.equal([]);
  });

  it('goes on after an object that fails, prints every failure and fails with the last', async () => {
    const cluster = new FakeCluster();
    cluster.add('a', { tier: 'db' });
    cluster.add('c');
    const { out, err, output } = collect();
    let failure: unknown;
    await editObjects(cluster, selectObjects(['pods', 'a', 'missing', 'c'], {}), setTier, output).catch((e: unknown) => (failure = e));
    expect(out).to.deep.equal(['a note', 'pod/c labeled']);
    expect(err).to.deep.equal(["error: 'tier' already has a value (db), and --overwrite is false"]);
    expect((failure as ApiError).message).to.equal('Error from server (NotFound): pods "missing" not found');
  });

  it('writes nothing when the edit has no patch, and still says what it did', async () => {
    const cluster = new FakeCluster();
    cluster.add('a');
    const { out, output } = collect();
    await editObjects(cluster, selectObjects(['pod/a'], {}), () => ({ operation: 'not labeled', notes: ['label "x" not found.'] }), output);
    expect(out).to.deep.equal(['label "x" not found.', 'pod/a not labeled']);
    expect(cluster.patches).to.deep.equal([]);
  });

  it('edits every object a selector matches, and says when none does', async () => {
    const cluster = new FakeCluster();
    cluster.add('a', { app: 'web' });
    cluster.add('b', { app: 'db' });
    const { out, err, output } = collect();
    await editObjects(cluster, selectObjects(['pods'], { selector: 'app=web' }), setTier, output);
    expect(out).to.deep.equal(['a note', 'pod/a labeled']);
    await editObjects(cluster, selectObjects(['pods'], { selector: 'app=none' }), setTier, output);
    expect(err).to.deep.equal(['No resources found in default namespace.']);
  });
});

describe('selectObjects', () => {
  const message = (resources: string[], options: object) => {
    try {
      selectObjects(resources, options);
    } catch (err) {
      if (err instanceof CliError) return err.message;
      throw err;
    }
    return 'accepted';
  };

  it('names objects by TYPE NAME... or TYPE/NAME..., in the namespace of -n', () => {
    expect(selectObjects(['nodes', 'node-1', 'node-2'], {})).to.deep.include({ kind: 'named' });
    const s = selectObjects(['deploy/web', 'svc/web'], { namespace: 'shop' });
    expect(s.kind === 'named' && s.targets.map((t) => [t.info.kind, t.namespace, t.name])).to.deep.equal([
      ['Deployment', 'shop', 'web'],
      ['Service', 'shop', 'web'],
    ]);
  });

  it('refuses what kubectl refuses, with its words', () => {
    expect(message([], {})).to.equal('one or more resources must be specified as <resource> <name> or <resource>/<name>');
    expect(message(['pods'], {})).to.equal('resource(s) were provided, but no name was specified');
    expect(message(['pods', 'a'], { all: true })).to.equal('name cannot be provided when a selector is specified');
    expect(message(['pods'], { all: true, selector: 'a=b' })).to.equal('cannot set --all and --selector at the same time');
    expect(message(['pods', 'pod/a'], {})).to.match(/^there is no need to specify a resource type as a separate argument/);
    expect(message(['widgets', 'a'], {})).to.match(/^the server doesn't have a resource type "widgets"/);
    expect(message(['pods'], { all: true })).to.equal('accepted');
  });
});
