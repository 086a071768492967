import { expect } from 'chai';
import { humanDuration } from '../../../cli/printers/age.js';
import { COLUMNS, podStatusText } from '../../../cli/printers/columns.js';
import { formatTable } from '../../../cli/printers/table.js';
import type { Pod } from '../../../proto/objects/pod.js';

describe('CLI printers', () => {
  it('prints ages as kubectl does', () => {
    expect(humanDuration(5_000)).to.equal('5s');
    expect(humanDuration(150_000)).to.equal('2m30s');
    expect(humanDuration(15 * 60_000)).to.equal('15m');
    expect(humanDuration(3.5 * 3_600_000)).to.equal('3h30m');
    expect(humanDuration(30 * 3_600_000)).to.equal('30h');
    expect(humanDuration(3 * 86_400_000 + 2 * 3_600_000)).to.equal('3d2h');
  });

  it('lays out columns three spaces apart with no trailing space', () => {
    expect(formatTable(['NAME', 'READY'], [['web', '0/3'], ['a-long-name', '1/1']])).to.equal('NAME          READY\nweb           0/3\na-long-name   1/1');
  });

  it('shows a deployment row as READY UP-TO-DATE AVAILABLE', () => {
    const row = COLUMNS.Deployment?.row({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', creationTimestamp: new Date(0).toISOString() }, spec: { replicas: 3 }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } }, 65_000);
    expect(row).to.deep.equal(['web', '2/3', '3', '2', '65s']);
  });

  it('says why a pod is not running, reason first', () => {
    const pod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'c', ready: false, restartCount: 4, image: 'x', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
    } as Pod;
    expect(podStatusText(pod)).to.equal('CrashLoopBackOff');
  });
});
