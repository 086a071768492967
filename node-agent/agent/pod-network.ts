import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * The environment `ip` runs with: a plain copy of the agent's, made once. Passing no env makes
 * child_process read every variable through process.env's native accessors on each run.
 */
let spawnEnv: NodeJS.ProcessEnv | undefined;

function run(command: string, args: string[]): Promise<unknown> {
  spawnEnv ??= { ...process.env };
  return execFileAsync(command, args, { env: spawnEnv });
}

/** runBatch runs `ip -batch -` with these commands on its stdin; it stops at the first that fails. */
function runBatch(commands: string): Promise<void> {
  spawnEnv ??= { ...process.env };
  return new Promise((resolve, reject) => {
    const child = execFile('ip', ['-batch', '-'], { env: spawnEnv }, (err, _stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve()));
    child.stdin?.end(commands);
  });
}

/**
 * PodNetwork is used to give each pod its network namespace, shared by all its containers.
 *
 * Lifecycle: setUp(pod) makes the namespace (idempotent: an agent restart calls it again for a
 * pod that has one) and returns the path containers join; tearDown(pod) removes it and
 * everything attached (absent is fine). Today: loopback only. CNI (bridge + host-local) comes
 * with the networking issue, behind this same interface; it will also return the pod's IP.
 */
export interface PodNetwork {
  setUp(podUid: string): Promise<{ netnsPath: string; podIP?: string }>;
  tearDown(podUid: string): Promise<void>;
}

/** netnsName is the pod's namespace name under /var/run/netns: berth-<first 12 hex of the uid>. */
export function netnsName(podUid: string): string {
  return `berth-${podUid.replace(/-/g, '').slice(0, 12)}`;
}

/** LoopbackPodNetwork is the PodNetwork with `ip netns` and a loopback interface only. */
export class LoopbackPodNetwork implements PodNetwork {
  async setUp(podUid: string): Promise<{ netnsPath: string }> {
    const name = netnsName(podUid);
    try {
      // One `ip` for both steps: every command costs the agent a fork of its whole process (~5 ms of its one thread).
      await runBatch(`netns add ${name}\nnetns exec ${name} ip link set lo up\n`);
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? '';
      if (!/exists/i.test(stderr)) {
        await this.tearDown(podUid); // undo: nothing half made stays behind
        throw new Error(`setting up network namespace ${name} failed: ${stderr || String(err)}`);
      }
      // Made before (an agent restart): only make sure its loopback is up.
      try {
        await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
      } catch (upErr) {
        await this.tearDown(podUid);
        throw upErr;
      }
    }
    return { netnsPath: `/var/run/netns/${name}` };
  }

  async tearDown(podUid: string): Promise<void> {
    const name = netnsName(podUid);
    try {
      await run('ip', ['netns', 'delete', name]);
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? '';
      if (!/No such file|does not exist|Cannot remove/i.test(stderr)) throw new Error(`ip netns delete ${name} failed: ${stderr || String(err)}`);
    }
  }
}
