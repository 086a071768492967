import { expect } from 'chai';
import { berth } from '../../support/cli.js';
import type { RunResult } from '../../support/cli.js';
import { startTestControlPlane } from '../../support/control-plane.js';
import type { TestControlPlane } from '../../support/control-plane.js';

const MANIFEST = `apiVersion: v1
kind: Node
metadata:
  name: node-2
---
apiVersion: v1
kind: Service
metadata:
  name: web
  labels:
    app: web
spec:
  selector:
    app: web
  ports:
  - port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  selector:
    app: db
  ports:
  - port: 5432
`;

describe('berth label, annotate, taint and get output formats against a control plane', function () {
  // Each step runs the real CLI (a node process), which takes seconds on a loaded machine.
  this.timeout(120_000);
  let cp: TestControlPlane;
  const run = (...args: string[]): Promise<RunResult> => berth(cp.server, args);

  before(async () => {
    cp = await startTestControlPlane({ runControllers: false });
    const applied = await berth(cp.server, ['apply', '-f', '-'], MANIFEST);
    expect(applied.code, applied.stderr).to.equal(0);
  });
  after(async () => {
    await cp?.stop();
  });

  it('labels a node and prints kubectl\'s messages for each outcome', async () => {
    expect(await run('label', 'node', 'node-2', 'disktype=ssd')).to.deep.equal({ code: 0, stdout: 'node/node-2 labeled\n', stderr: '' });
    expect(await run('label', 'node', 'node-2', 'disktype=hdd')).to.deep.equal({ code: 1, stdout: '', stderr: "error: 'disktype' already has a value (ssd), and --overwrite is false\n" });
    expect(await run('label', 'node', 'node-2', 'disktype=ssd')).to.deep.equal({ code: 0, stdout: 'node/node-2 not labeled\n', stderr: '' });
    expect(await run('label', 'node/node-2', 'disktype=hdd', '--overwrite')).to.deep.equal({ code: 0, stdout: 'node/node-2 labeled\n', stderr: '' });
    expect((await run('get', 'node', 'node-2', '-o', 'jsonpath={.metadata.labels.disktype}')).stdout).to.equal('hdd');
    expect(await run('label', 'node', 'node-2', 'disktype-')).to.deep.equal({ code: 0, stdout: 'node/node-2 unlabeled\n', stderr: '' });
    expect(await run('label', 'node', 'node-2', 'disktype-')).to.deep.equal({ code: 0, stdout: 'label "disktype" not found.\nnode/node-2 not labeled\n', stderr: '' });
  });

  it('refuses bad labels: values in the CLI, keys at the server naming the field', async () => {
    const value = await run('label', 'svc', 'web', 'tier=not ok');
    expect(value.code).to.equal(1);
    expect(value.stderr).to.match(/^error: invalid label value: "tier=not ok": a valid label must be an empty string/);
    const key = await run('label', 'svc', 'web', 'not ok=x');
    expect(key.code).to.equal(1);
    expect(key.stderr).to.match(/^Error from server \(Invalid\): Service "web" is invalid: metadata\.labels: Invalid value: "not ok": name part must consist of/);
    expect((await run('label', 'svc')).stderr).to.equal('error: at least one label update is required\n');
    expect((await run('label', 'svc', 'x=y')).stderr).to.equal('error: resource(s) were provided, but no name was specified\n');
    expect((await run('label', 'svc', 'nope', 'x=y')).stderr).to.equal('Error from server (NotFound): services "nope" not found\n');
  });

  it('labels every object of a type with --all or -l', async () => {
    // --all includes the kubernetes Service every cluster has in default, as with kubectl.
    const all = await run('label', 'svc', '--all', 'team=shop');
    expect(all.stdout.split('\n').sort()).to.deep.equal(['', 'service/db labeled', 'service/kubernetes labeled', 'service/web labeled']);
    expect(await run('label', 'svc', '-l', 'app=web', 'team-')).to.deep.equal({ code: 0, stdout: 'service/web unlabeled\n', stderr: '' });
    expect((await run('get', 'svc', '-l', 'team=shop', '-o', 'name')).stdout).to.equal('service/db\nservice/kubernetes\n');
  });

  it('annotates as kubectl does', async () => {
    expect(await run('annotate', 'svc', 'web', 'description=the web front')).to.deep.equal({ code: 0, stdout: 'service/web annotated\n', stderr: '' });
    expect(await run('annotate', 'svc', 'web', 'description=other')).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: "error: --overwrite is false but found the following declared annotation(s): 'description' already has a value (the web front)\n",
    });
    expect((await run('get', 'svc', 'web', '-o', 'jsonpath={.metadata.annotations.description}')).stdout).to.equal('the web front');
    expect((await run('annotate', 'svc', 'web', 'description-')).stdout).to.equal('service/web annotated\n');
    expect((await run('get', 'svc', 'web', '-o', 'jsonpath={.metadata.annotations.description}')).stdout).to.equal('');
  });

  it('taints and untaints a node with kubectl\'s messages', async () => {
    expect(await run('taint', 'node', 'node-2', 'dedicated=db:NoSchedule')).to.deep.equal({ code: 0, stdout: 'node/node-2 tainted\n', stderr: '' });
    expect(await run('taint', 'node', 'node-2', 'dedicated=web:NoSchedule')).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: 'error: node node-2 already has dedicated taint(s) with same effect(s) and --overwrite is false\n',
    });
    expect((await run('taint', 'node', 'node-2', 'dedicated=web:NoSchedule', '--overwrite')).stdout).to.equal('node/node-2 modified\n');
    expect((await run('get', 'node', 'node-2', '-o', 'jsonpath={range .spec.taints[*]}{.key}={.value}:{.effect}{"\\n"}{end}')).stdout).to.equal('dedicated=web:NoSchedule\n');
    expect((await run('taint', 'node', 'node-2', 'dedicated:NoExecute-')).stderr).to.equal('error: taint "dedicated:NoExecute" not found\n');
    expect((await run('taint', 'node', 'node-2', 'dedicated=x:Always')).stderr).to.equal('error: invalid taint effect: Always, unsupported taint effect\n');
    expect((await run('taint', 'svc', 'web', 'a=b:NoSchedule')).stderr).to.equal('error: invalid resource type svc, only node types are supported\n');
    expect(await run('taint', 'node', 'node-2', 'dedicated-')).to.deep.equal({ code: 0, stdout: 'node/node-2 untainted\n', stderr: '' });
    expect((await run('get', 'node', 'node-2', '-o', 'jsonpath={.spec.taints}')).stdout).to.equal('');
  });

  it('prints -o jsonpath, custom-columns, --show-labels and --no-headers as kubectl does', async () => {
    expect((await run('get', 'svc', '-o', 'jsonpath={.items[*].metadata.name}')).stdout).to.equal('db kubernetes web');
    expect((await run('get', 'svc', '-o', "jsonpath='{range .items[*]}{.metadata.name}{\"\\t\"}{.spec.ports[0].port}{\"\\n\"}{end}'")).stdout).to.equal('db\t5432\nkubernetes\t443\nweb\t80\n');
    expect((await run('get', 'svc', '-o', 'custom-columns=NAME:.metadata.name,PORT:.spec.ports[*].port,TEAM:.metadata.labels.team')).stdout).to.equal(
      'NAME         PORT   TEAM\ndb           5432   shop\nkubernetes   443    shop\nweb          80     <none>\n',
    );
    expect((await run('get', 'svc', '--no-headers', '-o', 'custom-columns=NAME:.metadata.name')).stdout).to.equal('db\nkubernetes\nweb\n');
    const labels = (await run('get', 'svc', '--show-labels')).stdout.split('\n');
    expect(labels[0]).to.match(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+LABELS$/);
    expect(labels[1]).to.match(/^db\s.*\steam=shop$/);
    expect(labels[2]).to.match(/^kubernetes\s.*\scomponent=apiserver,provider=kubernetes,team=shop$/);
    expect(labels[3]).to.match(/^web\s.*\sapp=web$/);
    expect((await run('get', 'svc', '--no-headers')).stdout.split('\n')[0]).to.match(/^db\s+ClusterIP/);
    const missing = await run('get', 'svc', 'web', '-o', 'jsonpath={.spec.nope}', '--allow-missing-template-keys=false');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/^error: error executing jsonpath "\{\.spec\.nope\}": Error executing template: nope is not found\./);
  });
  it('gets several kinds at once, and kind/name pairs, as kubectl does', async () => {
    const both = await run('get', 'services,nodes', '--no-headers', '-o', 'custom-columns=NAME:.metadata.name');
    expect(both.code, both.stderr).to.equal(0);
    // One block per kind in the order asked, a blank line between them.
    expect(both.stdout).to.equal('db\nkubernetes\nweb\n\nnode-2\n');
    const tables = await run('get', 'svc,no');
    expect(tables.stdout.split('\n\n')).to.have.length(2);
    expect(tables.stdout).to.match(/^NAME +TYPE +CLUSTER-IP/);
    expect(tables.stdout).to.match(/^service\/web +ClusterIP/m);
    expect(tables.stdout).to.match(/^node\/node-2 +/m);
    expect((await run('get', 'service/web', 'node/node-2', 'service/db', '-o', 'name')).stdout).to.equal('service/web\nservice/db\nnode/node-2\n');
    const list = JSON.parse((await run('get', 'service/web', 'node/node-2', '-o', 'json')).stdout) as { kind: string; items: { kind: string }[] };
    expect(list.kind).to.equal('List');
    expect(list.items.map((i) => i.kind)).to.deep.equal(['Service', 'Node']);
    expect((await run('get', 'service/web', '-o', 'jsonpath={.kind}')).stdout).to.equal('Service');
    expect(await run('get', 'services', 'service/web')).to.include({ code: 1 });
    expect((await run('get', 'services', 'service/web')).stderr).to.match(/no need to specify a resource type as a separate argument/);
    expect((await run('get', 'pods,svc', '-w')).stderr).to.equal('error: watch is only supported on individual resources and resource collections, but 2 resources were found\n');
  });
});
