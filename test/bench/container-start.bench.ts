/**
 * Container start benchmark: the same busybox bundle running /bin/true, started N times
 * (default 50, or the first argument) by `berth-runtime run`, `crun run` and `runc run`, each
 * once without a seccomp filter and once with the default profile (the agent's, Docker's
 * allowlist, in linux.seccomp: berth-runtime compiles it itself and caches the program, crun
 * and runc compile it with libseccomp at every start). Prints the median and p90 of each and
 * the berth/crun and berth/runc ratios of like with like, then the resident set of
 * berth-runtime's per-container monitor. Prints figures only; no assertions.
 *
 *   node dist/test/bench/container-start.bench.js [N]
 *
 * Fairness: crun 1.8 refuses this machine's hybrid cgroup layout, so every runtime runs inside
 * the same `unshare -m` bash in which /sys/fs/cgroup/unified is unmounted (pure v1; the host is
 * untouched). That bash loops and reads $EPOCHREALTIME (a builtin, no fork) right before and
 * after each run, so every figure is exactly "fork+exec the runtime, it creates, runs and
 * deletes the container, it exits" — the unshare and the timing cost nothing inside the
 * measured interval, and all three pay the same bash fork/exec/wait. Each runtime gets 5
 * warm-up runs that are not counted, and runtimes are measured in interleaved rounds so
 * background load affects them alike.
 *
 * Back-to-back starts flatter cgroup v1 runtimes: moving a task with cgroup.procs waits for an
 * RCU grace period, which consecutive moves share. An agent starts containers now and then, so
 * a second table times SPACED starts, each after a pause (berth-runtime's init moves itself
 * through "tasks", which does not wait; see cgroup_join_self_v1).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSeccompProfile } from '../../node-agent/runtime/seccomp-default.js';
import { makeBundle, makeBusyboxRootfs, removeDir, specConfig } from '../support/native-busybox-bundle.js';
import { BERTH_RUNTIME, CGROUP_V2, randomSuffix, removeCgroupTree, type NativeState } from '../support/native-runtime.js';

const N = Number(process.argv[2] ?? 50);
const WARMUP = 5;
const ROUND = 10;
const SPACED = 10;
const PAUSE_S = 0.3;

const LOOP = `
${CGROUP_V2 ? '' : 'umount /sys/fs/cgroup/unified 2>/dev/null'}
n=$1; pause=$2; shift 2
for i in $(seq "$n"); do
  [ "$pause" = 0 ] || sleep "$pause"
  t0=$EPOCHREALTIME
  "$@" >/dev/null || { echo "run failed: $*" >&2; exit 1; }
  t1=$EPOCHREALTIME
  echo "$t0 $t1"
done
`;

/** Runs cmd n times in the private mount namespace (pausing before each); returns ms each. */
function timeRuns(n: number, cmd: string[], pauseS = 0): number[] {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'bash', '-c', LOOP, 'bash', String(n), String(pauseS), ...cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd[0]}: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((line) => {
    const [a, b] = line.split(' ').map(Number);
    return (b! - a!) * 1000;
  });
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function statusField(pid: number, field: string): string {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return line ? line.slice(field.length + 1).trim() : '?';
}

function main(): void {
  const rootfs = makeBusyboxRootfs();
  const work = mkdtempSync(join(tmpdir(), 'native-bench-'));
  const cgParent = `/berth-bench-${randomSuffix()}`;
  const roots = { berth: join(work, 'berth-state'), crun: join(work, 'crun-state'), runc: join(work, 'runc-state') };
  try {
    const bundle = makeBundle(work, 'bundle', { rootfs, args: ['/bin/true'], cgroupsPath: `${cgParent}/bench` });
    const caps = (specConfig({ rootfs, args: [], cgroupsPath: '/' }).process as { capabilities: { bounding: string[] } }).capabilities.bounding;
    const seccomp = defaultSeccompProfile(caps);
    const filtered = makeBundle(work, 'bundle-seccomp', { rootfs, args: ['/bin/true'], cgroupsPath: `${cgParent}/bench-sc`, seccomp });
    const commands: Record<string, string[]> = {
      'berth-runtime': [BERTH_RUNTIME, '--root', roots.berth, 'run', '--bundle', bundle, 'bench-berth'],
      crun: ['crun', '--root', roots.crun, 'run', '--bundle', bundle, 'bench-crun'],
      runc: ['runc', '--root', roots.runc, 'run', '--bundle', bundle, 'bench-runc'],
      'berth-runtime+sc': [BERTH_RUNTIME, '--root', roots.berth, 'run', '--bundle', filtered, 'bench-berth-sc'],
      'crun+sc': ['crun', '--root', roots.crun, 'run', '--bundle', filtered, 'bench-crun-sc'],
      'runc+sc': ['runc', '--root', roots.runc, 'run', '--bundle', filtered, 'bench-runc-sc'],
    };
    const times: Record<string, number[]> = {};
    for (const [name, cmd] of Object.entries(commands)) {
      timeRuns(WARMUP, cmd);
      times[name] = [];
    }
    for (let done = 0; done < N; done += ROUND) {
      for (const [name, cmd] of Object.entries(commands)) times[name]!.push(...timeRuns(Math.min(ROUND, N - done), cmd));
    }

    const spaced: Record<string, number[]> = {};
    for (const [name, cmd] of Object.entries(commands)) spaced[name] = timeRuns(SPACED, cmd, PAUSE_S);

    const table = (title: string, t: Record<string, number[]>): void => {
      console.log(title);
      console.log('runtime          median ms   p90 ms');
      for (const [name, xs] of Object.entries(t)) {
        console.log(`${name.padEnd(16)} ${median(xs).toFixed(2).padStart(9)} ${quantile(xs, 0.9).toFixed(2).padStart(8)}`);
      }
      for (const suffix of ['', '+sc']) {
        const b = median(t[`berth-runtime${suffix}`]!);
        const label = suffix ? 'with the default seccomp profile' : 'without seccomp';
        console.log(`ratio berth/crun ${(b / median(t[`crun${suffix}`]!)).toFixed(2)}   berth/runc ${(b / median(t[`runc${suffix}`]!)).toFixed(2)}   (${label})`);
      }
    };
    const layout = `cgroup ${CGROUP_V2 ? 'v2' : 'v1'}`;
    console.log('+sc: with the default seccomp profile (Docker\'s allowlist, the agent\'s default)\n');
    table(`container start, busybox /bin/true bundle, ${N} back-to-back runs each (${layout})`, times);
    table(`\ncontainer start, ${SPACED} spaced runs each (${PAUSE_S} s pause before each, ${layout})`, spaced);

    // Monitor footprint: a long-running container created and started like the agent does.
    const rss: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = `bench-rss-${i}`;
      const sleepBundle = makeBundle(work, id, { rootfs, args: ['sleep', '1000'], cgroupsPath: `${cgParent}/${id}` });
      const br = (args: string[]): string => {
        const r = spawnSync(BERTH_RUNTIME, ['--root', roots.berth, ...args], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`berth-runtime ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      br(['create', '--bundle', sleepBundle, '--container-log', join(work, `${id}.log`), id]);
      try {
        br(['start', id]);
        const st = JSON.parse(br(['state', id])) as NativeState;
        rss.push(`${id}: monitor pid ${st.monitorPid} VmRSS ${statusField(st.monitorPid, 'VmRSS')} ` +
          `(RssAnon ${statusField(st.monitorPid, 'RssAnon')}, RssFile ${statusField(st.monitorPid, 'RssFile')})`);
      } finally {
        br(['delete', '--force', id]);
      }
    }
    console.log('\nmonitor resident set per container:');
    for (const line of rss) console.log(`  ${line}`);
  } finally {
    removeCgroupTree(cgParent);
    removeDir(work);
    removeDir(rootfs);
  }
}

main();
