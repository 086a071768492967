/**
 * The exec part of the Runtime conformance suite (runtime-conformance.ts runs it for every
 * implementation): Runtime.exec runs a command inside a running container, in its namespaces
 * (its files, hostname and processes), its cgroup and its identity; passes stdin, stdout,
 * stderr and the exit code through; gives a terminal made inside the container; kills the
 * command on request; and refuses clearly what it cannot do.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ContainerNotFoundError, ContainerNotRunningError, ExecFailedError } from '../../../node-agent/runtime/errors.js';
import type { ImageRunConfig } from '../../../node-agent/runtime/index.js';
import type { RuntimeUnderTest } from './runtime-conformance.js';

/** Everything a stream carries until it ends. */
async function text(stream: Readable | null): Promise<string> {
  if (!stream) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, it succeeded');
}

/** Adds the exec tests to the conformance suite; `rt` gives the runtime under test once it is made. */
export function describeExecConformance(rt: () => RuntimeUnderTest): void {
  describe('exec', () => {
    let ids: string[] = [];
    afterEach(async () => {
      for (const id of ids) {
        await rt()
          .runtime.remove(id, { force: true })
          .catch((err: unknown) => {
            if (!(err instanceof ContainerNotFoundError)) throw err;
          });
      }
      ids = [];
    });

    /** A running container whose init leaves a marker file and sleeps. */
    async function running(config: ImageRunConfig = {}) {
      const id = `exec-${randomBytes(6).toString('hex')}`;
      ids.push(id);
      const { image, pod } = rt();
      const command = ['sh', '-c', 'echo made-by-init > /home/app/marker; echo ready; exec sleep 1000'];
      const status = await rt().runtime.createAndStart({ id, container: { name: 'test', command }, image: { ...image, config: { config } }, pod: { ...pod, hostname: 'exec-host' } });
      for await (const entry of rt().runtime.logs(id, { follow: true })) if (entry.text === 'ready') break;
      return { id, pid: status.pid as number };
    }

    it('runs the command inside the container: its files, hostname, processes, user and cgroup', async () => {
      const { id } = await running({ User: 'app', Env: ['FROM_IMAGE=yes'] });
      const script = 'cat /home/app/marker; hostname; tr "\\0" " " < /proc/1/cmdline; echo; echo $$; id -u; echo $FROM_IMAGE';
      const exec = await rt().runtime.exec(id, { command: ['sh', '-c', script] });
      const [out, err, code] = await Promise.all([text(exec.stdout), text(exec.stderr), exec.exit]);
      expect(err).to.equal('');
      expect(code).to.equal(0);
      const [marker, hostname, init, pid, uid, env] = out.split('\n');
      expect(marker).to.equal('made-by-init');
      expect(hostname).to.equal('exec-host');
      expect(init, "pid 1 is the container's init: the command is in its pid namespace").to.equal('sleep 1000 ');
      expect(Number(pid)).to.be.greaterThan(1);
      expect(uid).to.equal('1000');
      expect(env).to.equal('yes');

      const sleeper = await rt().runtime.exec(id, { command: ['sleep', '1000'] });
      expect((await rt().cgroupProcesses(id)).length, 'init and the exec').to.equal(2);
      sleeper.kill();
      expect(await sleeper.exit).to.equal(137);
      expect((await rt().cgroupProcesses(id)).length, 'init alone once the exec was killed').to.equal(1);
    });

    it('passes stdin, stdout, stderr and the exit code through, also 128+N for a signal', async () => {
      const { id } = await running();
      const exec = await rt().runtime.exec(id, { command: ['sh', '-c', 'read line; echo "out:$line"; echo err >&2; exit 42'], stdin: true });
      exec.stdin?.end('hello\n');
      expect(await Promise.all([text(exec.stdout), text(exec.stderr), exec.exit])).to.deep.equal(['out:hello\n', 'err\n', 42]);
      const killed = await rt().runtime.exec(id, { command: ['sh', '-c', 'kill -TERM $$'] });
      expect(await Promise.all([text(killed.stdout), killed.exit])).to.deep.equal(['', 143]);
    });

    it('gives a terminal made inside the container, sized and resizable, with both outputs on stdout', async () => {
      const { id } = await running();
      const script = 'tty; stty size; while [ "$(stty size)" != "40 120" ]; do sleep 0.05; done; stty size; read line; echo "got $line" >&2';
      const exec = await rt().runtime.exec(id, { command: ['sh', '-c', script], stdin: true, tty: true, size: { rows: 30, cols: 100 } });
      expect(exec.stderr).to.equal(null);
      let out = '';
      exec.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      while (!out.includes('30 100')) await new Promise((resolve) => exec.stdout.once('data', resolve));
      exec.resize({ rows: 40, cols: 120 });
      exec.stdin?.write('hi\r');
      expect(await exec.exit).to.equal(0);
      // The terminal echoes the typed line wherever it arrives: leave it out.
      expect(out.split('\r\n').filter((l) => l !== '' && l !== 'hi')).to.deep.equal(['/dev/pts/0', '30 100', '40 120', 'got hi']);
    });

    it('fails clearly for an unknown container, one that has exited and a command the image lacks', async () => {
      const unknown = await rejection(rt().runtime.exec(`never-made-${randomBytes(4).toString('hex')}`, { command: ['true'] }));
      expect(unknown).to.be.instanceOf(ContainerNotFoundError);

      const { id, pid } = await running();
      const missing = await rejection(rt().runtime.exec(id, { command: ['no-such-command'] }));
      expect(missing).to.be.instanceOf(ExecFailedError);
      expect((missing as Error).message).to.contain('no-such-command').and.contain('not found');

      process.kill(pid, 'SIGKILL');
      await rt().runtime.waitForExit(id);
      const exited = await rejection(rt().runtime.exec(id, { command: ['true'] }));
      expect(exited).to.be.instanceOf(ContainerNotRunningError);
      expect((exited as Error).message).to.contain('exited, not running');
    });
  });
}
