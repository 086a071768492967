import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { REPO_ROOT, berth } from '../../support/cli.js';
import { startTestControlPlane } from '../../support/control-plane.js';
import type { TestControlPlane } from '../../support/control-plane.js';
import { freePort } from '../../support/ports.js';
import { writeTestCliConfig } from '../../support/test-pki.js';

const EXAMPLES = join(REPO_ROOT, '..', 'shared', 'k8s-examples');

function deployment(name: string, replicas = 1) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } },
    },
  };
}

describe('the berth CLI against a control plane', function () {
  this.timeout(60_000);
  let cp: TestControlPlane;
  let dir: string;

  before(async () => {
    cp = await startTestControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'berth-cli-test-'));
  });
  after(async () => {
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('applies the example app, says created then unchanged, and lists it like kubectl', async () => {
    const first = await berth(cp.server, ['apply', '-f', join(REPO_ROOT, 'manifests', 'web.yaml')]);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.equal('deployment.apps/web created\nservice/web created\n');
    const again = await berth(cp.server, ['apply', '-f', join(REPO_ROOT, 'manifests')]);
    expect(again.stdout).to.equal('deployment.apps/web unchanged\nservice/web unchanged\n');
    const get = await berth(cp.server, ['get', 'deployments']);
    expect(get.stdout.split('\n')[0]).to.match(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
    // No nodes here: none of the 3 replicas is ready or available (UP-TO-DATE is 3 once the controller made the ReplicaSet).
    expect(get.stdout.split('\n')[1]).to.match(/^web\s+0\/3\s+[03]\s+0\s+\d+s$/);
  });

  it('scales, and shows the new count', async () => {
    const scaled = await berth(cp.server, ['scale', 'deployment/web', '--replicas', '5']);
    expect(scaled.stdout).to.equal('deployment.apps/web scaled\n');
    const yaml = await berth(cp.server, ['get', 'deploy', 'web', '-o', 'json']);
    expect(JSON.parse(yaml.stdout).spec.replicas).to.equal(5);
  });

  it('refuses a replica count beyond int32 instead of letting it wrap round', async () => {
    const res = await berth(cp.server, ['scale', 'deployment/web', '--replicas', String(2 ** 32 + 1)]);
    expect(res.code).to.not.equal(0);
    expect(res.stderr).to.contain('--replicas must be a whole number from 0 to 2147483647, not "4294967297"');
    const json = await berth(cp.server, ['get', 'deploy', 'web', '-o', 'json']);
    expect(JSON.parse(json.stdout).spec.replicas).to.equal(5);
  });

  it('applies every Kubernetes documentation example unchanged', async () => {
    const res = await berth(cp.server, ['apply', '--dry-run', '-f', EXAMPLES]);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stderr).to.equal('');
    expect(res.stdout).to.contain('replicaset.apps/frontend created (dry run)');
    expect(res.stdout).to.contain('service/nginx-service created (dry run)');
  });

  it('writes nothing from a 20-document file with one bad document, and names it', async () => {
    const docs = Array.from({ length: 20 }, (_, i) => deployment(`batch-${i + 1}`));
    (docs[12] as { spec: { template: { spec: { containers: object[] } } } }).spec.template.spec.containers = [{ name: 'c', image: 'busybox', imagePullPolicy: 'Sometimes' }];
    const file = join(dir, 'batch.yaml');
    writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
    const res = await berth(cp.server, ['apply', '-f', file]);
    expect(res.code).to.equal(1);
    expect(res.stdout).to.equal('');
    expect(res.stderr).to.contain(`${file}: document 13`);
    expect(res.stderr).to.contain('Deployment/batch-13: spec.template.spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes"');
    const list = await berth(cp.server, ['get', 'deployments', '-o', 'name']);
    expect(list.stdout).to.not.contain('batch-');
  });

  it('reports a YAML syntax error with file, document and line, and writes nothing', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, `${stringify(deployment('syntax-ok'))}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  labels: {a: b\n`);
    const res = await berth(cp.server, ['apply', '-f', file]);
    expect(res.code).to.equal(1);
    expect(res.stderr).to.match(new RegExp(`^error: ${file}: document 2, line \\d+, column \\d+: YAML syntax error`));
    expect((await berth(cp.server, ['get', 'deploy', 'syntax-ok'])).code).to.equal(1);
  });

  it('reads manifests from stdin and warns about unsupported fields by path', async () => {
    const doc = deployment('from-stdin');
    (doc.spec.template.spec as Record<string, unknown>).hostAliases = [];
    const res = await berth(cp.server, ['apply', '-f', '-'], stringify(doc));
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.equal('deployment.apps/from-stdin created\n');
    expect(res.stderr).to.equal('Warning: stdin: document 1 (line 1): Deployment/from-stdin: spec.template.spec.hostAliases: unsupported field: Berth ignores it\n');
  });

  it('describes a deployment with its template', async () => {
    const res = await berth(cp.server, ['describe', 'deployment', 'web']);
    expect(res.stdout).to.match(/^Name:\s+web$/m);
    expect(res.stdout).to.match(/^Replicas:\s+5 desired/m);
    expect(res.stdout).to.match(/^\s+Image:\s+busybox:1.35$/m);
  });

  it('deletes by name and from a manifest, and says what was not found', async () => {
    const byName = await berth(cp.server, ['delete', 'deployment', 'from-stdin', 'missing']);
    expect(byName.code).to.equal(1);
    expect(byName.stdout).to.equal('deployment.apps "from-stdin" deleted\n');
    expect(byName.stderr).to.contain('Error from server (NotFound): deployments.apps "missing" not found');
    const byFile = await berth(cp.server, ['delete', '-f', join(REPO_ROOT, 'manifests', 'web.yaml')]);
    expect(byFile.stdout).to.equal('deployment.apps "web" deleted\nservice "web" deleted\n');
  });

  it('finds the server in --server, then BERTH_SERVER, then ~/.berth/config', async () => {
    const config = await writeTestCliConfig(join(dir, 'config'), cp.server);
    const fromConfig = await berth(undefined, ['get', 'ns'], undefined, { BERTH_CONFIG: config });
    expect(fromConfig.stdout).to.match(/^default\s+Active/m);
    const flagWins = await berth('127.0.0.1:1', ['--server', cp.server, 'get', 'ns']);
    expect(flagWins.code).to.equal(0);
  });

  it('says in one line that the control plane cannot be reached', async () => {
    const port = await freePort();
    const res = await berth(`127.0.0.1:${port}`, ['get', 'pods']);
    expect(res.code).to.equal(1);
    expect(res.stderr.trim().split('\n')).to.have.length(1);
    expect(res.stderr).to.contain(`cannot reach the Berth control plane at 127.0.0.1:${port} (connection refused)`);
  });
});
