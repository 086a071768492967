import { expect } from 'chai';
import winston from 'winston';
import { runTermination, type RunningInstance } from '../../../node-agent/agent/pod-termination.js';

const logger = winston.createLogger({ silent: true });
const control = { waitEndpointsDrained: async () => ({ drained: true, message: '' }), finishPodTermination: async () => undefined };
const plan = { mode: 'gone' as const, startedAt: 0, deadline: 30_000, drain: false, finish: false };

describe('agent pod termination order', () => {
  it('stops the app containers first, then the sidecars, the last started first, all within the one deadline', async () => {
    const events: string[] = [];
    const running: RunningInstance[] = [
      { name: 'proxy', id: 'u_proxy_0', sidecar: true },
      { name: 'logs', id: 'u_logs_0', sidecar: true },
      { name: 'web', id: 'u_web_0' },
      { name: 'worker', id: 'u_worker_0' },
    ];
    const steps = {
      running,
      stop: async (i: RunningInstance, deadline: number) => {
        events.push(`stop ${i.name} by ${deadline}`);
        await new Promise((resolve) => setImmediate(resolve));
        events.push(`stopped ${i.name}`);
      },
      release: async () => void events.push('release'),
    };
    await runTermination({ namespace: 'default', name: 'p', uid: 'u' }, plan, steps, control, logger);
    expect(events).to.deep.equal([
      'stop web by 30000',
      'stop worker by 30000',
      'stopped web',
      'stopped worker',
      'stop logs by 30000',
      'stopped logs',
      'stop proxy by 30000',
      'stopped proxy',
      'release',
    ]);
  });
});
