import { expect } from 'chai';
import type { Container } from '../../../proto/objects/pod.js';
import { hookAction, runHook, type RunAction } from '../../../node-agent/agent/lifecycle-hooks.js';

const app: Container = { name: 'app', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] };
const target = { containerId: 'u1_app_0', podIP: '10.244.1.5' };

describe('lifecycle hooks', () => {
  it('turns each handler into what it does, resolving named ports', () => {
    expect(hookAction({ exec: { command: ['sh', '-c', 'date > /tmp/stop'] } }, app)).to.deep.equal({ kind: 'probe', action: { kind: 'exec', command: ['sh', '-c', 'date > /tmp/stop'] } });
    expect(hookAction({ httpGet: { port: 'http', path: 'shutdown' } }, app)).to.deep.equal({ kind: 'probe', action: { kind: 'httpGet', scheme: 'http', port: 8080, path: '/shutdown', headers: [] } });
    expect(hookAction({ sleep: { seconds: 3 } }, app)).to.deep.equal({ kind: 'sleep', ms: 3_000 });
    expect(hookAction({ tcpSocket: { port: 80 } }, app).kind, 'Kubernetes does not run tcpSocket hooks').to.equal('none');
  });

  it("runs a handler within the timeout and words a failure as the kubelet's event does", async () => {
    const asked: Array<{ timeoutMs: number }> = [];
    const failing: RunAction = async (_action, _target, timeoutMs) => {
      asked.push({ timeoutMs });
      return { result: 'failure', message: 'command "sh -c exit 3" exited with code 3' };
    };
    const result = await runHook(failing, { exec: { command: ['sh', '-c', 'exit 3'] } }, app, target, 7_000, 'web-1_default(u1)');
    expect(result).to.deep.equal({ ok: false, message: 'Exec lifecycle hook ([sh -c exit 3]) for Container "app" in Pod "web-1_default(u1)" failed - error: command "sh -c exit 3" exited with code 3' });
    expect(asked).to.deep.equal([{ timeoutMs: 7_000 }]);
    const passing: RunAction = async () => ({ result: 'success' });
    expect(await runHook(passing, { httpGet: { port: 8080, path: '/stop' } }, app, target, 1_000, 'web-1_default(u1)')).to.deep.equal({ ok: true });
  });

  it('cuts a sleep handler short at the timeout', async () => {
    const never: RunAction = () => Promise.reject(new Error('sleep runs nothing'));
    // A 30 s sleep would outlast the test's own timeout.
    expect(await runHook(never, { sleep: { seconds: 30 } }, app, target, 20, 'p')).to.deep.equal({ ok: true });
  });
});
