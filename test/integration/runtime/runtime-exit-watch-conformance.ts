/**
 * The exit watch part of the Runtime conformance suite (runtime-conformance.ts runs it for
 * every implementation): Runtime.watchExit calls back when a container's process ends on its
 * own, when it is killed, and for one that ended before the watch was armed; never while the
 * process runs; and never after the watch was disarmed.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContainerNotFoundError } from '../../../node-agent/runtime/errors.js';
import type { PodOptions } from '../../../node-agent/runtime/index.js';
import type { RuntimeUnderTest } from './runtime-conformance.js';

/** Longer than any implementation's safety period (BerthRuntime: 2 s): what a watch has not said by then, it does not say. */
const QUIET_MS = 3_000;
/** How long a test waits for a call that must come. */
const CALL_TIMEOUT_MS = 10_000;

/** Calls is used to count the calls of one watch and to wait for the first. */
class Calls {
  count = 0;
  private heard!: () => void;
  private readonly first = new Promise<void>((resolve) => (this.heard = resolve));
  readonly onExit = (): void => {
    this.count++;
    this.heard();
  };

  /** Resolves at the first call; rejects when none came within CALL_TIMEOUT_MS. */
  async arrived(what: string): Promise<void> {
    const timeout = sleep(CALL_TIMEOUT_MS).then(() => {
      throw new Error(`watchExit did not call back within ${CALL_TIMEOUT_MS} ms ${what}`);
    });
    await Promise.race([this.first, timeout]);
  }
}

/** Adds the exit watch tests to the conformance suite; `rt` gives the runtime under test once it is made. */
export function describeExitWatchConformance(rt: () => RuntimeUnderTest): void {
  describe('watchExit', () => {
    let ids: string[] = [];
    const disarms: Array<() => void> = [];
    afterEach(async () => {
      for (const disarm of disarms.splice(0)) disarm();
      for (const id of ids) {
        await rt()
          .runtime.remove(id, { force: true })
          .catch((err: unknown) => {
            if (!(err instanceof ContainerNotFoundError)) throw err;
          });
      }
      ids = [];
    });

    async function start(command: string[], pod: PodOptions = {}) {
      const id = `watch-${randomBytes(6).toString('hex')}`;
      ids.push(id);
      const { image, pod: base } = rt();
      return rt().runtime.createAndStart({ id, container: { name: 'test', command }, image, pod: { ...base, ...pod } });
    }

    function watch(id: string): Calls {
      const calls = new Calls();
      disarms.push(rt().runtime.watchExit(id, calls.onExit));
      return calls;
    }

    it('calls back once the process ends on its own, and not while it runs', async () => {
      const control = await mkdtemp(join(tmpdir(), 'berth-exit-watch-'));
      try {
        const script = 'while [ ! -e /control/exit ]; do sleep 0.05; done; exit 4';
        const { id } = await start(['sh', '-c', script], { mounts: [{ hostPath: control, containerPath: '/control' }] });
        const calls = watch(id);
        await sleep(QUIET_MS);
        expect(calls.count, 'calls while the container runs').to.equal(0);
        expect((await rt().runtime.inspect(id)).state).to.equal('running');
        await writeFile(join(control, 'exit'), '');
        await calls.arrived('after the process exited');
        expect(await rt().runtime.waitForExit(id)).to.include({ state: 'exited', exitCode: 4 });
      } finally {
        await rm(control, { recursive: true, force: true });
      }
    });

    it('calls back when the process is killed', async () => {
      const { id, pid } = await start(['sleep', '1000']);
      const calls = watch(id);
      expect(pid).to.be.a('number');
      process.kill(pid as number, 'SIGKILL');
      await calls.arrived('after the process was killed');
      expect(await rt().runtime.waitForExit(id)).to.include({ state: 'exited', exitCode: 137 });
    });

    it('calls back, on a later turn, for a container that ended before the watch was armed, and for an unknown id', async () => {
      const { id } = await start(['true']);
      await rt().runtime.waitForExit(id);
      const ended = watch(id);
      const unknown = watch(`never-made-${randomBytes(4).toString('hex')}`);
      expect(ended.count + unknown.count, 'calls inside watchExit').to.equal(0);
      await ended.arrived('for an exited container');
      await unknown.arrived('for an unknown id');
    });

    it('calls no more once disarmed, whether the container ended before or after', async () => {
      const { id: endedId } = await start(['true']);
      await rt().runtime.waitForExit(endedId);
      const { id: runningId, pid } = await start(['sleep', '1000']);
      const calls = new Calls();
      rt().runtime.watchExit(endedId, calls.onExit)();
      rt().runtime.watchExit(runningId, calls.onExit)();
      process.kill(pid as number, 'SIGKILL');
      await rt().runtime.waitForExit(runningId);
      await sleep(QUIET_MS);
      expect(calls.count).to.equal(0);
    });
  });
}
