import { expect } from 'chai';
import type { Secret } from '../../../proto/objects/config.js';
import { bootstrapTokenInfo } from '../../../proto/security/bootstrap-token.js';
import { caCertificateHash } from '../../../proto/security/pki.js';
import { berth } from '../../support/cli.js';
import { useControlPlaneWithClients, type ControlPlaneWithClients } from '../../support/control-plane.js';
import { testCa } from '../../support/test-pki.js';

describe('berth token create / list / delete', () => {
  let env: ControlPlaneWithClients;
  useControlPlaneWithClients((started) => (env = started));
  const run = (args: string[]) => berth(env.cp.server, ['token', ...args]);

  it('creates a token kubeadm-style, lists it with its time left and description, and deletes it', async () => {
    const created = await run(['create', '--ttl', '1h', '--description', 'for the workers']);
    expect(created.code, created.stderr).to.equal(0);
    const token = created.stdout.trim();
    expect(token).to.match(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const id = token.slice(0, 6);
    const secret = (await env.client.get('secrets', 'kube-system', `bootstrap-token-${id}`)) as Secret;
    expect(secret.type).to.equal('bootstrap.kubernetes.io/token');
    expect(bootstrapTokenInfo(secret)).to.include({ id, secret: token.slice(7), description: 'for the workers' });

    const listed = await run(['list']);
    expect(listed.stdout.split('\n')[0]).to.match(/^ID\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION$/);
    const row = listed.stdout.split('\n').find((l) => l.startsWith(id)) ?? '';
    expect(row).to.match(new RegExp(`^${id}\\s+(59m|60m)\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\s+authentication\\s+for the workers$`));
    expect(listed.stdout).to.not.include(token.slice(7));

    const deleted = await run(['delete', token]);
    expect(deleted.stdout.trim()).to.equal(`bootstrap token "${id}" deleted`);
    expect((await run(['list'])).stdout).to.not.include(id);
    const again = await run(['delete', id]);
    expect({ code: again.code, stderr: again.stderr.trim() }).to.deep.equal({ code: 1, stderr: `error: bootstrap token "${id}" not found` });
  });

  it('makes a token that never expires with --ttl 0', async () => {
    const token = (await run(['create', '--ttl', '0'])).stdout.trim();
    const row = (await run(['list'])).stdout.split('\n').find((l) => l.startsWith(token.slice(0, 6))) ?? '';
    expect(row).to.match(/\s<forever>\s+<never>\s+authentication\s+<none>$/);
  });

  it('prints the whole join command with the CA pin, and refuses to delete what is not a token id', async () => {
    const out = await run(['create', '--print-join-command']);
    const port = Number(env.cp.server.split(':')[1]);
    expect(out.stdout.trim()).to.match(new RegExp(`^berth join 127\\.0\\.0\\.1:${port + 1} --token [a-z0-9]{6}\\.[a-z0-9]{16} --discovery-token-ca-cert-hash ${caCertificateHash((await testCa()).certPem)}$`));
    const bad = await run(['delete', 'Nope!']);
    expect(bad.stderr).to.include('"Nope!" is neither a token id');
  });
});
