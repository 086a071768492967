/**
 * berth-runtime's idmapped mounts: with a user namespace mapping container root to host uid
 * 100000, the rootfs (annotation run.berth.rootfs.idmap) and the bind mounts marked `idmap` or
 * given uidMappings look owned by root inside and what root writes there is uid 0 on disk,
 * while a bind mount left alone shows host-owned files as the overflow uid and refuses writes.
 * What berth-runtime cannot do is refused with the JSON path named.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, type BundleOptions } from '../../support/native-busybox-bundle.js';
import { NativeRuntime, readCriLog, useNativeFixture } from '../../support/native-runtime.js';

const ID_MAP = { containerID: 0, hostID: 100000, size: 65536 };
const WITH_USERNS: Partial<BundleOptions> = {
  namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'user' }],
  idMap: ID_MAP,
  extra: { annotations: { 'run.berth.rootfs.idmap': 'true' } },
};

describe('berth-runtime idmapped mounts (native)', function () {
  this.timeout(30000);
  let rootfs: string;
  let work: string;
  let rt: NativeRuntime;
  let n = 0;

  useNativeFixture('native-idmap-', (f) => ({ rootfs, work, rt } = f), { deleteAfterEach: true });

  function bundle(script: string, opts: Partial<BundleOptions>): { id: string; dir: string } {
    const id = rt.track(`idmap-${++n}`);
    return { id, dir: makeBundle(work, id, { rootfs, args: ['sh', '-c', script], cgroupsPath: rt.cgroupsPath(id), ...opts }) };
  }

  async function inContainer(script: string, opts: Partial<BundleOptions>): Promise<{ code: number; stdout: string; stderr: string }> {
    const b = bundle(script, opts);
    return rt.exec(['run', '--bundle', b.dir, b.id]);
  }

  /** A host directory owned by host root (0:0, mode 0755) holding one file, as a volume source. */
  function hostDir(name: string): string {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'data'), 'from the host\n', { mode: 0o644 });
    return dir;
  }

  it('shows the image files as root-owned inside while the process runs as the shifted uid on the host', async () => {
    const b = bundle('id -u; cat /proc/self/uid_map; stat -c "%u %g" /bin/busybox /; exec sleep 30', WITH_USERNS);
    await rt.create(b.id, b.dir);
    await rt.ok(['start', b.id]);
    const { pid } = await rt.state(b.id);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(status).to.match(/^Uid:\t100000\t100000\t100000\t100000$/m);
    expect(status).to.match(/^Gid:\t100000\t100000\t100000\t100000$/m);
    // The CRI log lines are "time stream tag text"; the script prints four lines before it sleeps.
    const logLines = () => readCriLog(rt.logPath(b.id)).map((l) => l.text.trim());
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && logLines().length < 4) await new Promise((r) => setTimeout(r, 20));
    const lines = logLines();
    expect(lines[0]).to.equal('0');
    expect(lines[1]!.split(/\s+/)).to.deep.equal(['0', '100000', '65536']);
    expect(lines.slice(2, 4)).to.deep.equal(['0 0', '0 0']);
  });

  it('lets root write through an idmapped bind mount, landing as uid 0 on disk', async () => {
    const volume = hostDir('emptydir-like');
    const r = await inContainer('stat -c "%u %g" /data /data/data; echo written > /data/new; stat -c %u /data/new', {
      ...WITH_USERNS,
      extraMounts: [{ destination: '/data', type: 'bind', source: volume, options: ['rbind', 'rw', 'idmap'] }],
    });
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout.split('\n')).to.deep.equal(['0 0', '0 0', '0', '']);
    expect(statSync(join(volume, 'new')).uid).to.equal(0);
    expect(readFileSync(join(volume, 'new'), 'utf8')).to.equal('written\n');
  });

  it('accepts per-mount uidMappings and gidMappings equal to the container\'s', async () => {
    const volume = hostDir('mapped');
    const r = await inContainer('stat -c "%u %g" /data/data', {
      ...WITH_USERNS,
      extraMounts: [{ destination: '/data', type: 'bind', source: volume, options: ['rbind', 'ro'], uidMappings: [ID_MAP], gidMappings: [ID_MAP] } as never],
    });
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.equal('0 0\n');
  });

  it('leaves a bind mount without idmap as the host has it: host-owned files are nobody\'s and root cannot write them', async () => {
    const volume = hostDir('hostpath-like');
    const r = await inContainer('stat -c %u /data/data; cat /data/data; echo x >> /data/data || echo refused', {
      ...WITH_USERNS,
      extraMounts: [{ destination: '/data', type: 'bind', source: volume, options: ['rbind', 'rw'] }],
    });
    expect(r.stdout.split('\n')).to.deep.equal(['65534', 'from the host', 'refused', '']);
    expect(r.stderr).to.match(/Permission denied/);
    expect(readFileSync(join(volume, 'data'), 'utf8')).to.equal('from the host\n');
  });

  it('runs from an overlay of idmapped layers (mount-overlay) under a directory only host root may search', async () => {
    // As the agent's bundles: the rootfs lies under a 0700 directory of host root.
    const dir = join(work, 'overlay-root');
    mkdirSync(join(dir, 'upper'), { recursive: true });
    mkdirSync(join(dir, 'work'));
    mkdirSync(join(dir, 'rootfs'));
    chmodSync(work, 0o700);
    await rt.ok(['mount-overlay', '--idmap', `${ID_MAP.hostID}:${ID_MAP.size}`, join(dir, 'rootfs'), dir, rootfs]);
    try {
      // On the host the layers' root-owned files show as the first id of the range.
      expect(statSync(join(dir, 'rootfs/bin/busybox')).uid).to.equal(ID_MAP.hostID);
      const b = bundle('id -u; stat -c "%u %g" /bin/busybox; echo hi > /tmp/written && stat -c %u /tmp/written', {
        ...WITH_USERNS,
        extra: {},
      });
      const config = JSON.parse(readFileSync(join(b.dir, 'config.json'), 'utf8')) as { root: { path: string; readonly: boolean } };
      config.root = { path: join(dir, 'rootfs'), readonly: false };
      writeFileSync(join(b.dir, 'config.json'), JSON.stringify(config));
      const r = await rt.exec(['run', '--bundle', b.dir, b.id]);
      expect(r.stderr).to.equal('');
      expect(r.stdout.split('\n')).to.deep.equal(['0', '0 0', '0', '']);
      // The upper directory is the range's own: what the container's root wrote is the range's first id.
      expect(statSync(join(dir, 'upper/tmp/written')).uid).to.equal(ID_MAP.hostID);
    } finally {
      execFileSync('umount', [join(dir, 'rootfs')]);
    }
  });

  it('refuses mount-overlay without a valid --idmap', async () => {
    const r = await rt.exec(['mount-overlay', '--idmap', '0:10', '/nonexistent', '/nonexistent', '/nonexistent']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/--idmap needs HOSTID:SIZE, a range of host ids above 0/);
  });

  describe('refuses what it cannot do, naming the JSON path', () => {
    it('an idmap option without a user namespace', async () => {
      const r = await inContainer('true', { extraMounts: [{ destination: '/data', type: 'bind', source: hostDir('a'), options: ['rbind', 'idmap'] }] });
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.match(/mounts\[7\]\.options: an idmapped mount needs a new user namespace/);
    });

    it('per-mount mappings that differ from the container\'s', async () => {
      const other = { containerID: 0, hostID: 200000, size: 65536 };
      const r = await inContainer('true', {
        ...WITH_USERNS,
        extraMounts: [{ destination: '/data', type: 'bind', source: hostDir('b'), options: ['rbind'], uidMappings: [other], gidMappings: [ID_MAP] } as never],
      });
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.match(/mounts\[7\]\.uidMappings: must equal linux\.uidMappings/);
    });

    it('idmap on a mount that is not a bind', async () => {
      const r = await inContainer('true', { ...WITH_USERNS, extraMounts: [{ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] }] });
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.match(/mounts\[7\]\.options: idmapped mounts are supported for bind mounts only/);
    });

    it('an idmapped rootfs without a user namespace', async () => {
      const r = await inContainer('true', { extra: { annotations: { 'run.berth.rootfs.idmap': 'true' } } });
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.match(/annotations\.run\.berth\.rootfs\.idmap: an idmapped rootfs needs a new user namespace/);
    });
  });
});
