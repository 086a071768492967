/**
 * A cluster of three stand-in machines (network namespaces on one LAN) formed as a user forms one
 * from real machines: `berth init` on the first, `berth token create --print-join-command`, and
 * `berth join` on the other two; then the README's example app runs across them. Joins with a
 * wrong CA pin, an expired token and a deleted token are refused and write nothing. Node
 * certificates last 40 s here, so the agents renew them while the test runs, and the cluster
 * still works after the first certificates expired and every connection was made anew.
 */
import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readEnvFile, CONTROL_PLANE_ARGS_VARIABLE } from '../../cli/init/env-files.js';
import { controlPlaneEntry } from '../../cli/local-cluster/paths.js';
import { spawnDetached, stopProcess } from '../../cli/local-cluster/processes.js';
import type { Node } from '../../proto/objects/cluster.js';
import { isReady } from '../../proto/objects/conditions.js';
import type { Pod } from '../../proto/objects/pod.js';
import { caCertificateHash, createCertificateAuthority, describeCertificate } from '../../proto/security/pki.js';
import { REPO_ROOT } from '../support/cli.js';
import { MachineLab, type Machine } from '../support/machine-lab.js';
import { eventually } from '../support/wait.js';

const VALIDITY_SECONDS = 40;

describe('e2e 12: a cluster of three machines made with berth init, token create and join', function () {
  this.timeout(300_000);
  const lab = new MachineLab();
  let m1: Machine;
  let m2: Machine;
  let m3: Machine;
  const firstNotAfter = new Map<string, number>();

  before(async function () {
    this.timeout(120_000);
    await lab.build(['m1', 'm2', 'm3']);
    [m1, m2, m3] = [lab.machine('m1'), lab.machine('m2'), lab.machine('m3')];
  });

  after('everything the machines ran is gone', async function () {
    this.timeout(120_000);
    const left = await lab.cleanUp();
    expect(left).to.deep.equal({ processes: [], netns: [], links: [], mounts: [], cgroups: [], dirs: [] });
  });

  const dirs = (m: Machine) => ['--dir', m.configDir, '--state-dir', m.stateDir, '--node-name', m.name, '--start', 'process', ...lab.agentArgs(m)];
  const nodeCertificate = (m: Machine) => readFileSync(join(m.configDir, 'agent', 'tls.crt'), 'utf8');
  const getJson = async <T>(args: string[]): Promise<T> => JSON.parse(await lab.ok(m1, ['get', ...args, '-o', 'json'])) as T;
  const readyNodes = async (): Promise<string[]> => (await getJson<{ items: Node[] }>(['nodes'])).items.filter((n) => isReady(n)).map((n) => n.metadata.name).sort();

  it('berth init makes the cluster on the first machine, which is a node too, and prints the join command', async () => {
    const out = await lab.ok(m1, ['init', '--advertise-address', m1.ip, '--node-certificate-validity', `${VALIDITY_SECONDS}s`, ...dirs(m1)]);
    expect(out).to.match(new RegExp(`^  berth join ${m1.ip.replace(/\./g, '\\.')}:6444 --token [a-z0-9]{6}\\.[a-z0-9]{16} --discovery-token-ca-cert-hash sha256:[0-9a-f]{64}$`, 'm'));
    expect(await readyNodes()).to.deep.equal(['m1']);
    firstNotAfter.set('m1', describeCertificate(nodeCertificate(m1)).notAfter.getTime());
    const again = await lab.berth(m1, ['init', '--advertise-address', m1.ip, ...dirs(m1)]);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.include('already exist').and.include('berth init --force');
  });

  it('refuses a join with a wrong CA hash, an expired token or a deleted token, and writes nothing', async () => {
    const line = (await lab.ok(m1, ['token', 'create', '--print-join-command'])).trim().split(' ');
    const [server, , goodToken, , pin] = line.slice(2);
    const expired = (await lab.ok(m1, ['token', 'create', '--ttl', '1s'])).trim();
    const deleted = (await lab.ok(m1, ['token', 'create'])).trim();
    expect(await lab.ok(m1, ['token', 'delete', deleted.slice(0, 6)])).to.equal(`bootstrap token "${deleted.slice(0, 6)}" deleted\n`);
    await sleep(1_500);
    const stranger = caCertificateHash((await createCertificateAuthority()).certPem);
    const attempts: Array<[string, string, RegExp]> = [
      [goodToken ?? '', stranger, new RegExp(`presents a CA with hash ${pin}, not the pinned ${stranger}: refusing to join`)],
      [expired, pin ?? '', /refused the join: bootstrap token "[a-z0-9]{6}" expired at .*; create a new one with berth token create/],
      [deleted, pin ?? '', /refused the join: bootstrap token "[a-z0-9]{6}" is not valid: no such token/],
    ];
    for (const [token, hash, message] of attempts) {
      const result = await lab.berth(m2, ['join', server ?? '', '--token', token, '--discovery-token-ca-cert-hash', hash, ...dirs(m2)]);
      expect(result.code, result.stdout).to.equal(1);
      expect(result.stderr).to.match(message);
      expect(existsSync(m2.configDir) || existsSync(m2.stateDir), `${m2.name} has files after a refused join`).to.equal(false);
    }
    // The expired token was deleted when it was presented.
    expect(await lab.ok(m1, ['token', 'list'])).to.not.include(expired.slice(0, 6));
  });

  it('joins the other two machines with the line berth token create --print-join-command prints', async () => {
    const line = (await lab.ok(m1, ['token', 'create', '--print-join-command', '--description', 'e2e workers'])).trim();
    expect(await lab.ok(m1, ['token', 'list'])).to.match(new RegExp(`^${line.split(' ')[4]?.slice(0, 6)}\\s+23h\\s+\\S+\\s+authentication\\s+e2e workers$`, 'm'));
    for (const m of [m2, m3]) {
      const out = await lab.ok(m, [...line.split(' ').slice(1), ...dirs(m)]);
      expect(out).to.include(`This machine joins the cluster as node ${m.name} (${m.ip})`);
      firstNotAfter.set(m.name, describeCertificate(nodeCertificate(m)).notAfter.getTime());
    }
    await eventually(async () => expect(await readyNodes()).to.deep.equal(['m1', 'm2', 'm3']), 90_000, 500);
  });

  it('runs the example app with its pods spread over the machines, reachable through its Service', async () => {
    await lab.ok(m1, ['apply', '-f', '-'], readFileSync(join(REPO_ROOT, 'manifests', 'web.yaml'), 'utf8'));
    const pods = await eventually(async () => {
      const items = (await getJson<{ items: Pod[] }>(['pods', '-l', 'app=web'])).items;
      expect(items.map((p) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status)).to.deep.equal(['True', 'True', 'True']);
      return items;
    }, 180_000, 1_000);
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).to.be.greaterThan(1);
    const reply = await eventually(() => lab.ok(m1, ['exec', pods[0]?.metadata.name ?? '', '--', 'timeout', '5', 'wget', '-qO-', 'http://web']), 30_000, 1_000);
    expect(reply).to.match(/^hello from web-/);
  });

  it('keeps working after the first node certificates expired: the agents renewed theirs', async () => {
    const lastExpiry = Math.max(...firstNotAfter.values());
    await sleep(Math.max(0, lastExpiry - Date.now() + 1_000));
    for (const m of [m1, m2, m3]) expect(describeCertificate(nodeCertificate(m)).notAfter.getTime(), `${m.name} renewed its certificate`).to.be.greaterThan(firstNotAfter.get(m.name) ?? Infinity);
    // Every connection anew: restart the control plane as its unit would, from the env file init wrote.
    const pidFile = join(m1.stateDir, 'control-plane.pid');
    const dataDir = join(m1.stateDir, 'control-plane');
    await stopProcess(Number(readFileSync(pidFile, 'utf8')), dataDir);
    const restartedAt = Date.now();
    const args = readEnvFile(join(m1.configDir, 'control-plane.env'), CONTROL_PLANE_ARGS_VARIABLE);
    const pid = spawnDetached('nsenter', [`--net=${lab.lab.path(m1.netns)}`, '--', process.execPath, controlPlaneEntry(), ...args], join(m1.stateDir, 'control-plane.log'));
    writeFileSync(pidFile, `${pid}\n`);
    // Every agent heartbeats the new control plane, over a connection made with its renewed certificate.
    await eventually(async () => {
      const leases = (await getJson<{ items: Array<{ spec?: { holderIdentity?: string; renewTime?: string } }> }>(['leases'])).items;
      const renewed = leases.filter((l) => Date.parse(l.spec?.renewTime ?? '') > restartedAt).map((l) => l.spec?.holderIdentity);
      expect(renewed.filter((h) => h === 'm1' || h === 'm2' || h === 'm3').sort()).to.deep.equal(['m1', 'm2', 'm3']);
    }, 60_000, 500);
    expect(await readyNodes()).to.deep.equal(['m1', 'm2', 'm3']);
    // The control plane calls each agent anew, which serves its renewed certificate.
    const pods = (await getJson<{ items: Pod[] }>(['pods', '-l', 'app=web'])).items;
    for (const p of pods) {
      const logs = await eventually(async () => {
        const result = await lab.berth(m1, ['logs', p.metadata.name]);
        expect(result.code, `berth logs ${p.metadata.name} (on ${p.spec.nodeName}): ${result.stderr}`).to.equal(0);
        return result;
      }, 30_000, 1_000);
      expect(logs.stderr).to.equal('');
    }
  });
});
