import { expect } from 'chai';
import { waitingInPullBackOff } from '../../../node-agent/agent/container-image.js';
import { afterPullError, decidePod, newRestartState } from '../../../node-agent/agent/pod-decision.js';
import type { Pod } from '../../../proto/objects/pod.js';

const MESSAGE = 'manifest unknown';
const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', uid: 'u' }, spec: { containers: [{ name: 'c', image: 'busybox:does-not-exist' }] } };

describe('agent: what a container shows during its image pull back-off, as the kubelet', () => {
  it('shows ErrImagePull after a failed attempt, then ImagePullBackOff once half the back-off has passed, keeping the message', () => {
    const failed = { reason: 'ErrImagePull', message: MESSAGE };
    expect(waitingInPullBackOff(failed, false)).to.deep.equal(failed);
    expect(waitingInPullBackOff(failed, true)).to.deep.equal({ reason: 'ImagePullBackOff', message: MESSAGE });
  });

  it('leaves any other waiting reason alone', () => {
    const never = { reason: 'ErrImageNeverPull', message: 'never' };
    expect(waitingInPullBackOff(never, true)).to.deep.equal(never);
    expect(waitingInPullBackOff(undefined, true)).to.equal(undefined);
  });

  it('a pull error records when its back-off began, and the decision waits for the retry with ImagePullBackOff', () => {
    const T0 = 1_000_000;
    const restarts = afterPullError(newRestartState(), 4_000, T0);
    expect(restarts.retry).to.deep.equal({ at: T0 + 4_000, reason: 'ImagePullBackOff', since: T0 });
    const [decision] = decidePod({ pod, containers: new Map([['c', { restarts }]]), now: T0 + 2_500, terminating: false });
    expect(decision?.action).to.deep.equal({ kind: 'wait', until: T0 + 4_000, reason: 'ImagePullBackOff' });
  });
});
