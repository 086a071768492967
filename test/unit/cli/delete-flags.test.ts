import { expect } from 'chai';
import { deletionFlags, FORCE_WARNING } from '../../../cli/delete-flags.js';

describe('berth delete flags (as kubectl reads them)', () => {
  it('asks for the pod\'s own grace period by default, and for N seconds with --grace-period N', () => {
    expect(deletionFlags({})).to.deep.equal({ gracePeriodSeconds: 0, force: false });
    expect(deletionFlags({ gracePeriod: 7 })).to.deep.equal({ gracePeriodSeconds: 7, force: false });
  });

  it('turns --grace-period 0 without --force, and --now, into 1 second', () => {
    expect(deletionFlags({ gracePeriod: 0 })).to.deep.equal({ gracePeriodSeconds: 1, force: false });
    expect(deletionFlags({ now: true })).to.deep.equal({ gracePeriodSeconds: 1, force: false });
  });

  it('deletes at once with --force (alone or with --grace-period 0), with kubectl\'s warning', () => {
    expect(deletionFlags({ force: true })).to.deep.equal({ gracePeriodSeconds: 0, force: true, warning: FORCE_WARNING });
    expect(deletionFlags({ force: true, gracePeriod: 0 })).to.deep.equal({ gracePeriodSeconds: 0, force: true, warning: FORCE_WARNING });
    expect(FORCE_WARNING).to.match(/^Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated\./);
  });

  it('refuses flags that contradict each other', () => {
    expect(() => deletionFlags({ force: true, gracePeriod: 5 })).to.throw('--force and --grace-period greater than 0 cannot be specified together');
    expect(() => deletionFlags({ now: true, gracePeriod: 5 })).to.throw('--now and --grace-period cannot be specified together');
    expect(() => deletionFlags({ gracePeriod: -2 })).to.throw(/--grace-period must be/);
  });
});
