import { expect } from 'chai';
import type { ContainerSpec, ImageForContainer, PodOptions } from '../../../node-agent/runtime/container-spec.js';
import { InvalidSpecError } from '../../../node-agent/runtime/errors.js';
import { buildOciSpec, type BundleInput } from '../../../node-agent/runtime/oci-bundle.js';

describe('runtime/oci-bundle in a pod user namespace (hostUsers: false)', () => {
  const image: ImageForContainer = { reference: 'registry.local/app:1', digest: 'sha256:' + 'a'.repeat(64), config: { config: { Cmd: ['/app'] } }, layerDirs: ['/layers/base'] };
  const input = (pod: PodOptions, user = { uid: 0, gid: 0, additionalGids: [] as number[], home: '/root' }, container: Partial<ContainerSpec> = {}): BundleInput => ({
    containerId: 'c1',
    container: { name: 'app', ...container },
    image,
    pod,
    user,
    defaultCgroupParent: 'berth',
    pidsLimit: 4096,
  });
  const userNamespace = { hostId: 131072, size: 65536 };
  const mapping = [{ containerID: 0, hostID: 131072, size: 65536 }];
  const mounts: PodOptions['mounts'] = [
    { hostPath: '/var/lib/berth/resolv/p', containerPath: '/etc/resolv.conf', readOnly: true },
    { hostPath: '/var/lib/berth/volumes/p/empty-dir/scratch', containerPath: '/scratch' },
    { hostPath: '/srv/node-data', containerPath: '/node', keepHostIds: true },
  ];

  it('adds a user namespace mapping the pod\'s range for uids and gids', () => {
    const spec = buildOciSpec(input({ userNamespace }));
    expect(spec.linux.namespaces).to.deep.include({ type: 'user' });
    expect(spec.linux.uidMappings).to.deep.equal(mapping);
    expect(spec.linux.gidMappings).to.deep.equal(mapping);
  });

  it('idmaps the agent\'s bind mounts (volumes, resolv.conf, the pod\'s /dev/shm) but not a hostPath', () => {
    const spec = buildOciSpec(input({ userNamespace, mounts, shmPath: '/var/lib/berth/ipc/p/shm', ipcnsPath: '/var/lib/berth/ipc/p/ns' }));
    const byDest = new Map(spec.mounts.map((m) => [m.destination, m]));
    for (const dest of ['/etc/resolv.conf', '/scratch', '/dev/shm']) {
      expect(byDest.get(dest)?.uidMappings, dest).to.deep.equal(mapping);
      expect(byDest.get(dest)?.gidMappings, dest).to.deep.equal(mapping);
    }
    expect(byDest.get('/node')).to.not.have.property('uidMappings');
    // proc, sysfs, tmpfs... are not binds: the kernel makes them for the container's namespaces.
    expect(byDest.get('/proc')).to.not.have.property('uidMappings');
  });

  it('changes nothing for a pod without one: no user namespace, no mappings', () => {
    const spec = buildOciSpec(input({ mounts }));
    expect(spec.linux.namespaces.map((n) => n.type)).to.not.include('user');
    expect(spec.linux).to.not.have.property('uidMappings');
    expect(spec.mounts.filter((m) => m.uidMappings)).to.deep.equal([]);
  });

  it('refuses a process identity outside the mapped ids, naming the field', () => {
    expect(() => buildOciSpec(input({ userNamespace }, { uid: 70000, gid: 0, additionalGids: [], home: '/' }))).to.throw(InvalidSpecError, /securityContext\.runAsUser.*70000 is outside the 65536 ids/);
    expect(() => buildOciSpec(input({ userNamespace }, { uid: 0, gid: 0, additionalGids: [65536], home: '/' }))).to.throw(InvalidSpecError, /supplementalGroups\[0\]/);
    expect(buildOciSpec(input({ userNamespace }, { uid: 1000, gid: 2000, additionalGids: [65535], home: '/' })).process.user).to.deep.equal({ uid: 1000, gid: 2000, additionalGids: [65535] });
  });

  it('still refuses a privileged container', () => {
    expect(() => buildOciSpec(input({ userNamespace }, undefined, { securityContext: { privileged: true } }))).to.throw(InvalidSpecError, /privileged/);
  });
});
