/**
 * httpGet and tcpSocket probes against real servers in a network namespace this test makes,
 * reached the way the agent reaches a pod: from the node's namespace, at the pod's IP over a
 * veth, or (a pod without an IP) on its loopback from inside the namespace. Busybox httpd
 * (static files and CGI scripts for statuses, headers and slowness) and a busybox nc listener
 * stand in for the pod. Needs root, iproute2, util-linux nsenter and busybox.
 */
import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Container } from '../../../proto/objects/pod.js';
import { ProbeChecker } from '../../../node-agent/probes/probe-checks.js';
import { planProbe } from '../../../node-agent/probes/probe-plan.js';
import type { ProbeOutcome } from '../../../node-agent/probes/probe-state.js';
import type { Probe } from '../../../proto/objects/pod.js';
import { freeLabCidr } from '../../support/local-cluster.js';

const run = promisify(execFile);

// CGI output goes out as it is after busybox's status line: its lines end in CRLF.
const cgi: Record<string, string> = {
  // The status named by the query string, e.g. /cgi-bin/status?500.
  status: 'printf "Status: %s Set\\r\\nLocation: /elsewhere\\r\\n\\r\\nbody" "$QUERY_STRING"',
  // 200 only for the headers the probe was told to send.
  headers: 'ok=403; [ "$HTTP_HOST" = example.com ] && [ "$HTTP_X_PROBE" = yes ] && [ "${HTTP_USER_AGENT#kube-probe/}" != "$HTTP_USER_AGENT" ] && ok=200; printf "Status: %s X\\r\\n\\r\\n" $ok',
  slow: 'sleep 3; printf "Status: 200 OK\\r\\n\\r\\n"',
};

describe('probes over the network: httpGet and tcpSocket at the pod IP (test network namespace, busybox httpd and nc)', function () {
  this.timeout(30_000);
  const suffix = randomBytes(3).toString('hex');
  const netns = `berth-probe-${suffix}`;
  const hostVeth = `bprb${suffix}`;
  const subnet = freeLabCidr().replace(/\.0\/24$/, '');
  const podIP = `${subnet}.2`;
  const servers: ChildProcess[] = [];
  let www: string | undefined;
  // Exec probes need a runtime; these tests make none.
  const checker = new ProbeChecker({ exec: () => Promise.reject(new Error('no exec in this test')) });

  async function inNetns(...args: string[]): Promise<void> {
    await run('ip', ['netns', 'exec', netns, ...args]);
  }

  /** A server in the namespace; nsenter execs it, so its pid is the server's own and kill reaches it. */
  function serve(args: string[]): void {
    const server = spawn('nsenter', [`--net=/var/run/netns/${netns}`, ...args], { stdio: 'ignore' });
    servers.push(server);
  }

  /** Resolves once something listens on podIP:port. */
  async function listening(port: number): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect({ host: podIP, port }, () => (s.destroy(), resolve(true)));
        s.on('error', () => resolve(false));
      });
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`nothing listens on ${podIP}:${port}`);
  }

  before(async () => {
    await run('ip', ['netns', 'add', netns]);
    await run('ip', ['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    await run('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', hostVeth]);
    await run('ip', ['link', 'set', hostVeth, 'up']);
    await inNetns('ip', 'addr', 'add', `${podIP}/24`, 'dev', 'eth0');
    await inNetns('ip', 'link', 'set', 'eth0', 'up');
    await inNetns('ip', 'link', 'set', 'lo', 'up');
    www = await mkdtemp(join(tmpdir(), 'berth-probe-www-'));
    await mkdir(join(www, 'cgi-bin'));
    await writeFile(join(www, 'healthz'), 'ok\n');
    for (const [name, body] of Object.entries(cgi)) {
      await writeFile(join(www, 'cgi-bin', name), `#!/bin/sh\n${body}\n`);
      await chmod(join(www, 'cgi-bin', name), 0o755);
    }
    serve(['busybox', 'httpd', '-f', '-p', '8080', '-h', www]);
    serve(['busybox', 'nc', '-ll', '-p', '9000', '-e', '/bin/true']);
    await listening(8080);
    await listening(9000);
  });

  after(async () => {
    for (const server of servers) server.kill('SIGKILL');
    // Also what the servers forked (httpd's request handlers, a CGI still sleeping): every
    // process in the namespace is this test's.
    const { stdout } = await run('ip', ['netns', 'pids', netns]).catch(() => ({ stdout: '' }));
    for (const pid of stdout.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    // Deleting the namespace deletes the veth pair with it.
    await run('ip', ['netns', 'delete', netns]).catch(() => undefined);
    if (www) await rm(www, { recursive: true, force: true });
  });

  const container = (readinessProbe: Probe): Container => ({ name: 'web', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe });

  /** One attempt of the probe against the pod at `ip` (null: a pod without an IP), maybe with its network namespace. */
  async function probe(readinessProbe: Probe, ip: string | null = podIP, netnsPath?: string): Promise<ProbeOutcome> {
    const plan = planProbe('readiness', container(readinessProbe));
    if (!plan) throw new Error('no plan');
    return checker.check(plan, { containerId: 'unused', ...(ip ? { podIP: ip } : {}), ...(netnsPath ? { netnsPath } : {}) });
  }

  it('passes for a 2xx or 3xx answer at the pod IP, by port number or name', async () => {
    expect(await probe({ httpGet: { port: 8080, path: '/healthz' } })).to.deep.equal({ result: 'success' });
    expect(await probe({ httpGet: { port: 'http', path: '/healthz' } })).to.deep.equal({ result: 'success' });
    expect(await probe({ httpGet: { port: 8080, path: '/cgi-bin/status?302' } })).to.deep.equal({ result: 'success' });
  });

  it('fails for a 4xx or 5xx answer and for a refused connection, saying so', async () => {
    expect(await probe({ httpGet: { port: 8080, path: '/missing' } })).to.deep.equal({ result: 'failure', message: 'HTTP probe failed with statuscode: 404' });
    expect(await probe({ httpGet: { port: 8080, path: '/cgi-bin/status?500' } })).to.deep.equal({ result: 'failure', message: 'HTTP probe failed with statuscode: 500' });
    const refused = await probe({ httpGet: { port: 8081, path: '/healthz' } });
    expect(refused.result).to.equal('failure');
    expect((refused as { message: string }).message).to.match(new RegExp(`^Get "http://${podIP.replace(/\./g, '\\.')}:8081/healthz": .*ECONNREFUSED`));
  });

  it('sends the given headers, Host included', async () => {
    expect(await probe({ httpGet: { port: 8080, path: '/cgi-bin/headers' } })).to.deep.include({ result: 'failure' });
    const headers = [{ name: 'Host', value: 'example.com' }, { name: 'X-Probe', value: 'yes' }];
    expect(await probe({ httpGet: { port: 8080, path: '/cgi-bin/headers', httpHeaders: headers } })).to.deep.equal({ result: 'success' });
  });

  it('fails an answer slower than timeoutSeconds', async () => {
    const slow = await probe({ httpGet: { port: 8080, path: '/cgi-bin/slow' }, timeoutSeconds: 1 });
    expect(slow).to.deep.equal({ result: 'failure', message: `Get "http://${podIP}:8080/cgi-bin/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
  });

  it('passes a tcpSocket probe when something listens, and fails it when nothing does', async () => {
    expect(await probe({ tcpSocket: { port: 9000 } })).to.deep.equal({ result: 'success' });
    const refused = await probe({ tcpSocket: { port: 9001 } });
    expect(refused.result).to.equal('failure');
    expect((refused as { message: string }).message).to.match(new RegExp(`^dial tcp ${podIP.replace(/\./g, '\\.')}:9001: .*ECONNREFUSED`));
  });

  it("reaches a pod without an IP on its loopback, from inside its network namespace", async () => {
    const inside = `/var/run/netns/${netns}`;
    expect(await probe({ httpGet: { port: 8080, path: '/healthz' } }, null, inside)).to.deep.equal({ result: 'success' });
    expect(await probe({ httpGet: { port: 8080, path: '/missing' } }, null, inside)).to.deep.equal({ result: 'failure', message: 'HTTP probe failed with statuscode: 404' });
    expect(await probe({ tcpSocket: { port: 9000 } }, null, inside)).to.deep.equal({ result: 'success' });
    expect(await probe({ tcpSocket: { port: 9001 } }, null, inside)).to.deep.equal({ result: 'failure', message: 'dial tcp 127.0.0.1:9001: connect ECONNREFUSED 127.0.0.1:9001' });
    const slow = await probe({ httpGet: { port: 8080, path: '/cgi-bin/slow' }, timeoutSeconds: 1 }, null, inside);
    expect(slow).to.deep.equal({ result: 'failure', message: 'Get "http://127.0.0.1:8080/cgi-bin/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)' });
  });

  it('cannot probe without an address or with an unknown port name: an error, not a failure', async () => {
    expect(await probe({ tcpSocket: { port: 9000 } }, null)).to.deep.equal({ result: 'error', message: 'the pod has no IP address to probe yet' });
    expect(await probe({ tcpSocket: { port: 'metrics' } })).to.deep.equal({ result: 'error', message: 'no port named "metrics" in container web' });
    expect(await probe({ tcpSocket: { port: 9000, host: podIP } }, null), 'a probe naming its host needs no pod IP').to.deep.equal({ result: 'success' });
  });
});
