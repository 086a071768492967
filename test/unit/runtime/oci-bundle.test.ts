import { expect } from 'chai';
import type { ContainerSpec, ImageForContainer, PodOptions } from '../../../node-agent/runtime/container-spec.js';
import { InvalidSpecError } from '../../../node-agent/runtime/errors.js';
import { buildOciSpec, capabilities, resources, type BundleInput } from '../../../node-agent/runtime/oci-bundle.js';

describe('runtime/oci-bundle', () => {
  const image: ImageForContainer = {
    reference: 'registry.local/app:1',
    digest: 'sha256:' + 'a'.repeat(64),
    config: { config: { Entrypoint: ['/app'], Cmd: ['--serve'], Env: ['PATH=/bin', 'LANG=C'], WorkingDir: '/srv', User: 'app' } },
    layerDirs: ['/layers/base', '/layers/top'],
  };
  const input = (container: Partial<ContainerSpec> = {}, pod: PodOptions = {}, extra: Partial<BundleInput> = {}): BundleInput => ({
    containerId: 'c1',
    container: { name: 'app', ...container },
    image,
    pod,
    user: { uid: 1000, gid: 1000, additionalGids: [44], home: '/home/app' },
    defaultCgroupParent: 'berth',
    pidsLimit: 4096,
    ...extra,
  });

  it('describes the process from image and spec', () => {
    const spec = buildOciSpec(input({ args: ['--debug'], env: [{ name: 'LANG', value: 'C.UTF-8' }] }, { hostname: 'web-0' }));
    expect(spec.ociVersion).to.equal('1.1.0');
    expect(spec.process.args).to.deep.equal(['/app', '--debug']);
    expect(spec.process.env).to.deep.equal(['PATH=/bin', 'LANG=C.UTF-8', 'HOME=/home/app', 'HOSTNAME=web-0']);
    expect(spec.process.cwd).to.equal('/srv');
    expect(spec.process.user).to.deep.equal({ uid: 1000, gid: 1000, additionalGids: [44] });
    expect(spec.process.terminal).to.equal(false);
    expect(spec.hostname).to.equal('web-0');
    expect(spec.root).to.deep.equal({ path: 'rootfs', readonly: false });
  });

  it('keeps Docker\'s default capabilities only, in bounding, effective and permitted, with no_new_privs', () => {
    const { capabilities, noNewPrivileges } = buildOciSpec(input()).process;
    const docker = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'].map((c) => `CAP_${c}`);
    for (const set of [capabilities.bounding, capabilities.effective, capabilities.permitted]) {
      expect(set).to.have.members(docker);
      expect(set).to.not.include('CAP_SYS_ADMIN');
    }
    expect(capabilities).to.not.have.property('inheritable');
    expect(noNewPrivileges).to.equal(true);
  });

  it('filters system calls with the default profile unless the container or else the pod says Unconfined', () => {
    const seccomp = (container: Partial<ContainerSpec>, pod: PodOptions = {}) => buildOciSpec(input(container, pod)).linux.seccomp;
    const profile = seccomp({});
    expect(profile).to.include({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1 });
    const allowed = profile!.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names);
    expect(allowed).to.include.members(['read', 'write', 'execve', 'futex', 'chroot']);
    expect(allowed).to.not.include.members(['mount', 'unshare', 'setns', 'bpf', 'keyctl', 'add_key', 'clone', 'reboot']);
    // clone only without namespace flags; clone3 says ENOSYS so libc falls back to clone.
    expect(profile!.syscalls.filter((r) => r.names.includes('clone'))).to.deep.equal([
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
    ]);
    expect(profile!.syscalls.find((r) => r.names.includes('clone3'))).to.deep.equal({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    expect(seccomp({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } } })).to.deep.equal(profile);
    expect(seccomp({}, { securityContext: { seccompProfile: { type: 'Unconfined' } } })).to.equal(undefined);
    expect(seccomp({ securityContext: { seccompProfile: { type: 'Unconfined' } } })).to.equal(undefined);
    expect(seccomp({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }, { securityContext: { seccompProfile: { type: 'Unconfined' } } })).to.deep.equal(profile);
    expect(() => seccomp({ securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } } })).to.throw(InvalidSpecError, /seccompProfile\.type: "Localhost" is not supported/);
  });

  it('follows the capabilities in the default profile: CAP_SYS_ADMIN allows mount and unshare, as with Docker', () => {
    const { syscalls } = buildOciSpec(input({ securityContext: { capabilities: { add: ['SYS_ADMIN'] } } })).linux.seccomp!;
    const allowed = syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names);
    expect(allowed).to.include.members(['mount', 'unshare', 'setns', 'clone', 'clone3']);
    expect(syscalls.some((r) => r.names.includes('clone') && r.args)).to.equal(false);
  });

  it('applies securityContext: capabilities drop then add, read-only root, privilege escalation', () => {
    const spec = buildOciSpec(
      input({ securityContext: { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE', 'cap_net_admin'] }, readOnlyRootFilesystem: true, allowPrivilegeEscalation: true } }),
    );
    expect(spec.process.capabilities.bounding).to.deep.equal(['CAP_NET_BIND_SERVICE', 'CAP_NET_ADMIN']);
    expect(spec.process.capabilities.effective).to.deep.equal(['CAP_NET_BIND_SERVICE', 'CAP_NET_ADMIN']);
    expect(spec.root.readonly).to.equal(true);
    expect(spec.process.noNewPrivileges).to.equal(false);
    expect(buildOciSpec(input({ securityContext: { allowPrivilegeEscalation: false } })).process.noNewPrivileges).to.equal(true);
  });

  it('drops single capabilities from the default set', () => {
    const caps = capabilities({ capabilities: { drop: ['NET_RAW', 'CAP_MKNOD'] } });
    expect(caps).to.have.lengthOf(12);
    expect(caps).to.not.include.members(['CAP_NET_RAW', 'CAP_MKNOD']);
    expect(caps).to.include('CAP_CHOWN');
  });

  it('refuses privileged containers, adding ALL, and unknown capability names', () => {
    expect(() => buildOciSpec(input({ securityContext: { privileged: true } }))).to.throw(InvalidSpecError, /securityContext\.privileged: privileged containers are not supported/);
    expect(() => capabilities({ capabilities: { add: ['ALL'] } })).to.throw(InvalidSpecError, /securityContext\.capabilities\.add: adding ALL/);
    expect(() => capabilities({ capabilities: { add: ['NET_ADMIN', 'FLY'] } })).to.throw(InvalidSpecError, /securityContext\.capabilities\.add\[1\]: 'FLY' is not a capability/);
  });

  it('mounts proc, a minimal /dev, devpts, shm, mqueue and a read-only sysfs, then the pod\'s bind mounts', () => {
    const spec = buildOciSpec(input({}, { mounts: [{ hostPath: '/var/lib/berth/pods/p/resolv.conf', containerPath: '/etc/resolv.conf', readOnly: true }, { hostPath: '/data', containerPath: '/data' }] }));
    expect(spec.mounts.map((m) => `${m.destination} ${m.type}`)).to.deep.equal([
      '/proc proc',
      '/dev tmpfs',
      '/dev/pts devpts',
      '/dev/shm tmpfs',
      '/dev/mqueue mqueue',
      '/sys sysfs',
      '/etc/resolv.conf bind',
      '/data bind',
    ]);
    expect(spec.mounts.find((m) => m.destination === '/sys')?.options).to.include('ro');
    expect(spec.mounts[6]).to.deep.equal({ destination: '/etc/resolv.conf', type: 'bind', source: '/var/lib/berth/pods/p/resolv.conf', options: ['rbind', 'rprivate', 'nosuid', 'nodev', 'ro'] });
    expect(spec.mounts[7]?.options).to.include('rw');
    expect(spec.linux.devices.map((d) => d.path)).to.have.members(['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']);
  });

  it('marks a recursively read-only bind mount with the rro option, and only read-only ones', () => {
    const spec = buildOciSpec(input({}, { mounts: [{ hostPath: '/v/a', containerPath: '/a', readOnly: true, recursiveReadOnly: true }, { hostPath: '/v/b', containerPath: '/b', recursiveReadOnly: true }] }));
    expect(spec.mounts.find((m) => m.destination === '/a')?.options).to.deep.equal(['rbind', 'rprivate', 'nosuid', 'nodev', 'ro', 'rro']);
    expect(spec.mounts.find((m) => m.destination === '/b')?.options).to.deep.equal(['rbind', 'rprivate', 'nosuid', 'nodev', 'rw']);
  });

  it('rejects relative bind mount paths', () => {
    expect(() => buildOciSpec(input({}, { mounts: [{ hostPath: 'rel', containerPath: '/x' }] }))).to.throw(InvalidSpecError, /pod\.mounts\[0\]\.hostPath/);
    expect(() => buildOciSpec(input({}, { mounts: [{ hostPath: '/x', containerPath: 'x' }] }))).to.throw(InvalidSpecError, /pod\.mounts\[0\]\.containerPath/);
  });

  it('masks and write-protects the /proc and /sys paths Docker does', () => {
    const { maskedPaths, readonlyPaths } = buildOciSpec(input()).linux;
    expect(maskedPaths).to.include.members(['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware', '/proc/acpi', '/proc/scsi']);
    expect(readonlyPaths).to.have.members(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  });

  it('creates pid, ipc, uts, mount and network namespaces, joining the pod\'s network namespace when given', () => {
    expect(buildOciSpec(input()).linux.namespaces).to.deep.equal([{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }]);
    const joined = buildOciSpec(input({}, { netnsPath: '/var/run/netns/pod-1' })).linux.namespaces;
    expect(joined).to.deep.include({ type: 'network', path: '/var/run/netns/pod-1' });
  });

  it('joins the pod\'s IPC namespace and binds the pod\'s /dev/shm in place of a tmpfs of its own, when given', () => {
    const spec = buildOciSpec(input({}, { ipcnsPath: '/var/lib/berth/ipc/u1/ns', shmPath: '/var/lib/berth/ipc/u1/shm' }));
    expect(spec.linux.namespaces).to.deep.include({ type: 'ipc', path: '/var/lib/berth/ipc/u1/ns' });
    const shm = spec.mounts.filter((m) => m.destination === '/dev/shm');
    expect(shm).to.deep.equal([{ destination: '/dev/shm', type: 'bind', source: '/var/lib/berth/ipc/u1/shm', options: ['rbind', 'rprivate', 'nosuid', 'noexec', 'nodev', 'rw'] }]);
    expect(buildOciSpec(input()).mounts.find((m) => m.destination === '/dev/shm')?.type).to.equal('tmpfs');
  });

  it('puts the cgroup at /<cgroupParent>/<containerId>', () => {
    expect(buildOciSpec(input()).linux.cgroupsPath).to.equal('/berth/c1');
    expect(buildOciSpec(input({}, { cgroupParent: '/berth/pod-abc/' })).linux.cgroupsPath).to.equal('/berth/pod-abc/c1');
  });

  it('keeps the annotations given', () => {
    expect(buildOciSpec(input({}, {}, { annotations: { 'io.berth.container.name': 'app' } })).annotations).to.deep.equal({ 'io.berth.container.name': 'app' });
  });

  describe('resources (Kubernetes formulas)', () => {
    it('turns limits and requests into memory bytes, cpu shares, quota and period', () => {
      expect(resources({ limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '250m' } }, 4096)).to.deep.equal({
        cpu: { shares: 256, quota: 50_000, period: 100_000 },
        memory: { limit: 67_108_864 },
        pids: { limit: 4096 },
      });
    });

    it('gives 1024 shares per CPU requested and a quota of a period per CPU limited', () => {
      expect(resources({ limits: { cpu: '2' }, requests: { cpu: '1' } }, 10).cpu).to.deep.equal({ shares: 1024, quota: 200_000, period: 100_000 });
    });

    it('uses the limit as the request when only the limit is set', () => {
      expect(resources({ limits: { cpu: '1500m' } }, 10).cpu?.shares).to.equal(1536);
    });

    it('gives at least 2 shares and at least 1 ms of quota', () => {
      expect(resources({}, 10)).to.deep.equal({ cpu: { shares: 2 }, pids: { limit: 10 } });
      expect(resources({ requests: { cpu: '1m' } }, 10).cpu?.shares).to.equal(2);
      expect(resources({ limits: { cpu: '5m' } }, 10).cpu?.quota).to.equal(1000);
    });

    it('caps shares at the kernel maximum', () => {
      expect(resources({ requests: { cpu: '1000' } }, 10).cpu?.shares).to.equal(262_144);
    });

    it('reads decimal, binary, exponent and plain-number quantities', () => {
      expect(resources({ limits: { memory: '1G' } }, 10).memory).to.deep.equal({ limit: 1_000_000_000 });
      expect(resources({ limits: { memory: '1.5Gi' } }, 10).memory).to.deep.equal({ limit: 1_610_612_736 });
      expect(resources({ limits: { memory: '129e6' } }, 10).memory).to.deep.equal({ limit: 129_000_000 });
      expect(resources({ limits: { memory: 1048576 } }, 10).memory).to.deep.equal({ limit: 1_048_576 });
      expect(resources({ limits: { cpu: '0.1' } }, 10).cpu).to.deep.equal({ shares: 102, quota: 10_000, period: 100_000 });
      expect(resources({ limits: { cpu: 2 } }, 10).cpu?.quota).to.equal(200_000);
    });

    it('ignores memory requests (no cgroup setting carries them)', () => {
      expect(resources({ requests: { memory: '1Gi' } }, 10)).to.not.have.property('memory');
    });

    it('names the field of a bad quantity', () => {
      expect(() => resources({ limits: { memory: '64MB' } }, 10)).to.throw(InvalidSpecError, /resources\.limits\.memory: "64MB" is not a quantity/);
      expect(() => resources({ requests: { cpu: '-1' } }, 10)).to.throw(InvalidSpecError, /resources\.requests\.cpu: "-1" is negative/);
    });

    it('applies the pids limit given by the runtime options', () => {
      expect(buildOciSpec(input({}, {}, { pidsLimit: 123 })).linux.resources.pids).to.deep.equal({ limit: 123 });
    });
  });
});
