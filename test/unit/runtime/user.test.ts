import { expect } from 'chai';
import { InvalidSpecError } from '../../../node-agent/runtime/errors.js';
import { resolveUser, withPodGroups } from '../../../node-agent/runtime/user.js';

describe('runtime/user', () => {
  const passwd = ['root:x:0:0:root:/root:/bin/sh', 'daemon:x:1:1:daemon:/usr/sbin:/bin/false', '# comment', 'broken', 'app:x:1000:1001:App:/home/app:/bin/sh', ''].join('\n');
  const group = ['root:x:0:', 'daemon:x:1:', 'app:x:1001:', 'video:x:44:app,daemon', 'audio:x:29:daemon', 'staff:x:50: app '].join('\n');

  it('runs as root with root\'s home when the image names no user', () => {
    expect(resolveUser({}, passwd, group)).to.deep.equal({ uid: 0, gid: 0, additionalGids: [], home: '/root' });
    expect(resolveUser({ imageUser: '' }, passwd, group).uid).to.equal(0);
  });

  it('resolves a user name to uid, primary gid, supplementary groups and home', () => {
    expect(resolveUser({ imageUser: 'app' }, passwd, group)).to.deep.equal({ uid: 1000, gid: 1001, additionalGids: [44, 50], home: '/home/app' });
  });

  it('takes a numeric uid and finds its passwd entry', () => {
    expect(resolveUser({ imageUser: '1000' }, passwd, group)).to.deep.equal({ uid: 1000, gid: 1001, additionalGids: [44, 50], home: '/home/app' });
  });

  it('takes a numeric uid without a passwd entry: gid 0, home /', () => {
    expect(resolveUser({ imageUser: '4242' }, passwd, group)).to.deep.equal({ uid: 4242, gid: 0, additionalGids: [], home: '/' });
    expect(resolveUser({ imageUser: '4242' }, undefined, undefined)).to.deep.equal({ uid: 4242, gid: 0, additionalGids: [], home: '/' });
  });

  it('honours user:group by name or number', () => {
    expect(resolveUser({ imageUser: 'app:video' }, passwd, group)).to.include({ uid: 1000, gid: 44 });
    expect(resolveUser({ imageUser: '1000:7' }, passwd, group)).to.include({ uid: 1000, gid: 7 });
    expect(resolveUser({ imageUser: 'app:video' }, passwd, group).additionalGids).to.deep.equal([50]);
  });

  it('lets runAsUser replace the image user and its group', () => {
    expect(resolveUser({ imageUser: 'app:video', runAsUser: 1 }, passwd, group)).to.deep.equal({ uid: 1, gid: 1, additionalGids: [44, 29], home: '/usr/sbin' });
    expect(resolveUser({ imageUser: 'app', runAsUser: 5000 }, passwd, group)).to.deep.equal({ uid: 5000, gid: 0, additionalGids: [], home: '/' });
  });

  it('lets runAsGroup replace only the group', () => {
    expect(resolveUser({ imageUser: 'app', runAsGroup: 3000 }, passwd, group)).to.include({ uid: 1000, gid: 3000 });
    expect(resolveUser({ runAsUser: 1000, runAsGroup: 3000 }, passwd, group)).to.include({ uid: 1000, gid: 3000 });
  });

  it('refuses to run as root with runAsNonRoot, whichever way root was chosen', () => {
    for (const request of [{ runAsNonRoot: true }, { imageUser: 'root', runAsNonRoot: true }, { imageUser: 'app', runAsUser: 0, runAsNonRoot: true }]) {
      expect(() => resolveUser(request, passwd, group)).to.throw(InvalidSpecError, /securityContext\.runAsNonRoot: the container would run as root/);
    }
    expect(resolveUser({ imageUser: 'app', runAsNonRoot: true }, passwd, group).uid).to.equal(1000);
  });

  it('fails for a user or group name the image does not have', () => {
    expect(() => resolveUser({ imageUser: 'nobody' }, passwd, group)).to.throw(InvalidSpecError, /user 'nobody' not found in the image's \/etc\/passwd/);
    expect(() => resolveUser({ imageUser: 'app:wheel' }, passwd, group)).to.throw(InvalidSpecError, /group 'wheel' not found in the image's \/etc\/group/);
    expect(() => resolveUser({ imageUser: 'app' }, undefined, undefined)).to.throw(/user 'app' not found/);
  });

  it('adds the pod\'s supplementalGroups and fsGroup to the supplementary groups, once each', () => {
    const user = { uid: 1000, gid: 1000, additionalGids: [44], home: '/' };
    expect(withPodGroups(user, { fsGroup: 2000, supplementalGroups: [3000, 44] }).additionalGids).to.deep.equal([44, 3000, 2000]);
    expect(withPodGroups(user, {})).to.deep.equal(user);
  });
});
