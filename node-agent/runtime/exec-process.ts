/**
 * One `berth-runtime exec` process, driven over its control socket (the contract in
 * native/runtime/cli.c): the command's stdio are sockets of the agent's (addon spawnAttached,
 * no fork of the agent); the control socket says "started <pid>" or "error <message>", takes
 * "resize <rows> <cols>" lines, and its closing kills the command. berth-runtime exits with the
 * command's exit code.
 */
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { spawnAttached, waitChild, type ChildEnd } from '../native/index.js';
import type { ExecProcess, ExecRequest, TerminalSize } from './runtime.js';

/** How long berth-runtime may take to start the command before it is killed. */
const startTimeoutMs = 30_000;
/** Once the command has ended, a stream quiet this long is left: a background process it left holding the stream is not waited for. */
const drainMs = 1_000;
/** A berth-runtime that has not exited this long after kill() gets SIGKILL itself (its command dies with it). */
const killGraceMs = 2_000;

/** How starting failed: berth-runtime's own words, or why it said nothing. */
export class ExecStartError extends Error {
  override readonly name = 'ExecStartError';
}

/**
 * startExec runs `berth-runtime --root stateRoot exec … id -- command` and resolves once the
 * command runs, or rejects with ExecStartError carrying berth-runtime's message.
 */
export async function startExec(binary: string, stateRoot: string, id: string, request: ExecRequest): Promise<ExecProcess> {
  const tty = request.tty ? ['--tty', ...(request.size ? ['--tty-size', `${clampSize(request.size.rows)}x${clampSize(request.size.cols)}`] : [])] : [];
  const child = spawnAttached(binary, ['--root', stateRoot, 'exec', ...tty, '--control-fd', '3', id, '--', ...request.command], { stdin: request.stdin ?? false });
  const ended = waitChild(child.pid);
  const control = new Socket({ fd: child.control, readable: true, writable: true, allowHalfOpen: true });
  const stdout = new Socket({ fd: child.stdout, readable: true, writable: false });
  const stderr = new Socket({ fd: child.stderr, readable: true, writable: false });
  const stdin = child.stdin === null ? null : new Socket({ fd: child.stdin, readable: false, writable: true });
  const sockets = [control, stdout, stderr, ...(stdin ? [stdin] : [])];
  // A socket error (the peer gone) is the end of that stream, not a failure of the agent.
  for (const s of sockets) s.on('error', () => s.destroy());
  let reaped = false;
  const end = ended.then((e) => ((reaped = true), e));
  try {
    await firstLine(control, end, () => kill(child.pid));
  } catch (err) {
    for (const s of sockets) s.destroy();
    await end;
    throw err;
  }
  if (request.tty) stderr.destroy(); // a terminal merges both outputs into stdout
  let killTimer: NodeJS.Timeout | undefined;
  const exit = (async () => {
    const code = exitCode(await end);
    clearTimeout(killTimer);
    await drained([stdout, ...(request.tty ? [] : [stderr])], drainMs);
    for (const s of sockets) s.destroy();
    return code;
  })();
  // Handled here too, so a caller that never looks at `exit` cannot crash the agent with an unhandled rejection.
  void exit.catch(() => undefined);
  return {
    stdin,
    stdout,
    stderr: request.tty ? null : stderr,
    resize(size: TerminalSize) {
      if (request.tty && control.writable) control.write(`resize ${clampSize(size.rows)} ${clampSize(size.cols)}\n`);
    },
    kill() {
      control.destroy();
      killTimer ??= setTimeout(() => {
        if (!reaped) kill(child.pid);
      }, killGraceMs);
    },
    exit,
  };
}

/** SIGKILL to a berth-runtime that has not been reaped (one that is gone already is fine). */
function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Reads the control socket's first line: resolves on "started", rejects with the error it
 * names or how berth-runtime ended; `hung` is called when it says nothing in time.
 */
function firstLine(control: Socket, end: Promise<ChildEnd>, hung: () => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      hung();
      finish(new ExecStartError(`berth-runtime exec did not start the command within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      control.off('data', onData);
      if (err) reject(err);
      else resolve();
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const newline = text.indexOf('\n');
      if (newline < 0) return;
      const line = text.slice(0, newline);
      if (line.startsWith('started ')) finish();
      else finish(new ExecStartError(line.startsWith('error ') ? line.slice(6) : `unexpected answer from berth-runtime exec: ${line.slice(0, 200)}`));
    };
    control.on('data', onData);
    // End of file without a line: berth-runtime is gone (its last words, if any, were read first).
    control.once('end', () => void end.then((e) => finish(new ExecStartError(`berth-runtime exec ended (${describeEnd(e)}) before starting the command`))));
  });
}

/**
 * Resolves once every stream has closed, or has stayed quiet for `ms` while its reader was
 * ready for more: then whatever still holds it (a background process the command left) is not
 * waited for. A reader that holds a stream back (backpressure) is waited for, however slow.
 */
async function drained(streams: Readable[], ms: number): Promise<void> {
  await Promise.all(
    streams.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.destroyed || s.readableEnded) return resolve();
          let heard = false;
          const onData = () => (heard = true);
          const timer = setInterval(() => {
            if (!heard && s.readableFlowing !== false) finish();
            heard = false;
          }, ms);
          const finish = () => {
            clearInterval(timer);
            s.off('data', onData);
            resolve();
          };
          s.on('data', onData);
          s.once('close', finish);
        }),
    ),
  );
}

function exitCode(e: ChildEnd): number {
  return e.exitCode ?? 128 + (e.signal ?? 127);
}

function describeEnd(e: ChildEnd): string {
  return e.exitCode !== null ? `exit status ${e.exitCode}` : `killed by signal ${e.signal}`;
}

/** Terminal sizes are 16-bit; anything else is clamped rather than refused. */
function clampSize(n: number): number {
  return Math.max(0, Math.min(65_535, Math.floor(n)));
}
