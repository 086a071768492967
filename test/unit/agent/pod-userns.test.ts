import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '../../../proto/objects/pod.js';
import type { EventReporter } from '../../../node-agent/agent/event-reporter.js';
import { NO_ID_RANGE_REASON, podIds } from '../../../node-agent/agent/pod-userns.js';
import { PodIdRanges } from '../../../node-agent/userns/id-ranges.js';

describe('agent/pod-userns: what a pod worker gets for hostUsers', () => {
  let root: string;
  const events: Array<{ type: string; reason: string; message: string }> = [];
  const reporter = { pod: (_pod: Pod, type: string, reason: string, message: string) => events.push({ type, reason, message }) } as unknown as EventReporter;
  const pod = (uid: string, hostUsers?: boolean): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: uid, namespace: 'default', uid },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...(hostUsers === undefined ? {} : { hostUsers }) },
  });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pod-userns-'));
    events.length = 0;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('gives no user namespace to a pod without hostUsers: false, and takes no range for it', async () => {
    const ranges = new PodIdRanges(root, { first: 65536, count: 1 });
    expect(await podIds(pod('a'), ranges, reporter)).to.deep.equal({ kind: 'host' });
    expect(await podIds(pod('b', true), ranges, reporter)).to.deep.equal({ kind: 'host' });
    expect(ranges.rangeOf('a')).to.equal(undefined);
  });

  it('gives a pod with hostUsers: false its range', async () => {
    const ranges = new PodIdRanges(root, { first: 65536, count: 1 });
    expect(await podIds(pod('a', false), ranges, reporter)).to.deep.equal({ kind: 'range', range: { hostId: 65536, size: 65536 } });
  });

  it('fails the pod with a reason and a Warning event when the node has no range left', async () => {
    const ranges = new PodIdRanges(root, { first: 65536, count: 1 });
    await podIds(pod('a', false), ranges, reporter);
    const outcome = await podIds(pod('b', false), ranges, reporter);
    expect(outcome).to.deep.include({ kind: 'failed', reason: NO_ID_RANGE_REASON });
    expect(NO_ID_RANGE_REASON).to.equal('UserNamespaceRangesExhausted');
    expect(events).to.deep.equal([{ type: 'Warning', reason: NO_ID_RANGE_REASON, message: (outcome as { message: string }).message }]);
    expect((outcome as { message: string }).message).to.match(/^no free user namespace range on this node/);
  });
});
