import * as grpc from '@grpc/grpc-js';
import type { Readable } from 'node:stream';
import type { Logger } from 'winston';
import type { ExecInput__Output } from '../../proto/generated/berth/v1/ExecInput.js';
import type { ExecOutput } from '../../proto/generated/berth/v1/ExecOutput.js';
import type { ExecStart__Output } from '../../proto/generated/berth/v1/ExecStart.js';
import { ContainerNotFoundError, ContainerNotRunningError, ExecFailedError, type ExecProcess, type Runtime } from '../runtime/index.js';
import type { PodManager } from './pod-manager.js';
import { allContainers } from './init-progress.js';

/** ExecCall is the server side of one AgentAPI.Exec stream. */
export type ExecCall = grpc.ServerDuplexStream<ExecInput__Output, ExecOutput>;

function failure(code: grpc.status, message: string): grpc.ServiceError {
  return Object.assign(new Error(message), { code, details: message, metadata: new grpc.Metadata() });
}

/**
 * serveExec serves AgentAPI.Exec: the first message names the pod, container and command; the
 * command runs through Runtime.exec, its output streams back and its exit code comes last. A
 * client that goes away kills the command; nothing of an exec outlives its stream.
 */
export function serveExec(call: ExecCall, pods: PodManager, runtime: Runtime, logger: Logger): void {
  let exec: ExecProcess | undefined;
  let gone = false;
  const onGone = () => {
    gone = true;
    exec?.kill();
  };
  call.on('cancelled', onGone);
  call.on('error', onGone);
  let begun = false;
  call.once('end', () => {
    if (!begun) call.emit('error', failure(grpc.status.INVALID_ARGUMENT, 'the exec stream ended before its `start` message'));
  });
  call.once('data', (first: ExecInput__Output) => {
    begun = true;
    // Input that arrives before the command runs waits in the stream.
    call.pause();
    if (first.input !== 'start' || !first.start) return void call.emit('error', failure(grpc.status.INVALID_ARGUMENT, 'the first message of an exec must be `start`'));
    start(first.start).then(
      (started) => {
        exec = started;
        if (gone) return started.kill();
        attach(call, started, logger);
      },
      (err: unknown) => call.emit('error', toStatus(err, first.start as ExecStart__Output)),
    );
  });

  async function start(req: ExecStart__Output): Promise<ExecProcess> {
    const namespace = req.namespace || 'default';
    const worker = pods.find(namespace, req.pod);
    if (!worker) throw failure(grpc.status.NOT_FOUND, `pod ${namespace}/${req.pod} does not run on this node`);
    const names = allContainers(worker.spec).map((c) => c.name);
    const container = req.container || worker.spec.spec.containers[0]?.name || '';
    if (!names.includes(container)) throw failure(grpc.status.INVALID_ARGUMENT, `container ${container} is not valid for pod ${req.pod}: choose one of ${names.join(', ')}`);
    if (req.command.length === 0) throw failure(grpc.status.INVALID_ARGUMENT, 'a command is required: what to run in the container');
    const id = worker.instanceId(container, false);
    if (!id) throw failure(grpc.status.FAILED_PRECONDITION, `container ${container} in pod ${req.pod} has not started yet`);
    const size = req.size && req.size.rows > 0 && req.size.cols > 0 ? { size: { rows: req.size.rows, cols: req.size.cols } } : {};
    return runtime.exec(id, { command: req.command, stdin: req.stdin, tty: req.tty, ...size });
  }
}

/** Maps a refusal of Runtime.exec to the status the client gets. */
function toStatus(err: unknown, req: ExecStart__Output): grpc.ServiceError {
  if (typeof (err as { code?: unknown }).code === 'number') return err as grpc.ServiceError;
  const container = req.container || 'the container';
  if (err instanceof ContainerNotFoundError || err instanceof ContainerNotRunningError) {
    return failure(grpc.status.FAILED_PRECONDITION, `${container} in pod ${req.pod} is not running: ${err.message}`);
  }
  if (err instanceof ExecFailedError) return failure(grpc.status.FAILED_PRECONDITION, err.message);
  return failure(grpc.status.INTERNAL, err instanceof Error ? err.message : String(err));
}

/** Connects a running command to its stream, both ways, with backpressure, until it exits. */
function attach(call: ExecCall, exec: ExecProcess, logger: Logger): void {
  const send = (stream: Readable | null, key: 'stdout' | 'stderr') => {
    stream?.on('data', (chunk: Buffer) => {
      if (call.write({ [key]: chunk })) return;
      stream.pause();
      call.once('drain', () => stream.resume());
    });
  };
  send(exec.stdout, 'stdout');
  send(exec.stderr, 'stderr');
  call.on('data', (msg: ExecInput__Output) => {
    if (msg.input === 'stdin' && msg.stdin && exec.stdin?.writable) {
      if (!exec.stdin.write(msg.stdin)) {
        call.pause();
        exec.stdin.once('drain', () => call.resume());
      }
    } else if (msg.input === 'stdin_end') {
      exec.stdin?.end();
    } else if (msg.input === 'resize' && msg.resize) {
      exec.resize({ rows: msg.resize.rows, cols: msg.resize.cols });
    }
  });
  // A client that closes its side has nothing more to type.
  call.on('end', () => exec.stdin?.end());
  call.resume();
  exec.exit.then(
    (code) => {
      call.write({ exit_code: code });
      call.end();
    },
    (err: unknown) => {
      logger.warn('exec failed', { error: String(err) });
      call.emit('error', failure(grpc.status.INTERNAL, err instanceof Error ? err.message : String(err)));
    },
  );
}
