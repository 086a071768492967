import * as grpc from '@grpc/grpc-js';
import type { ExecInput, ExecInput__Output } from '../../proto/generated/berth/v1/ExecInput.js';
import type { ExecOutput, ExecOutput__Output } from '../../proto/generated/berth/v1/ExecOutput.js';
import type { LogChunk, LogChunk__Output } from '../../proto/generated/berth/v1/LogChunk.js';
import type { LogsRequest__Output } from '../../proto/generated/berth/v1/LogsRequest.js';
import { InvalidError } from '../errors.js';
import type { AgentProxy } from '../nodes/agent-proxy.js';
import { failStream } from './errors.js';
import { onClientGone } from './streams.js';

/**
 * An agent's failure, passed on to the client with its own status, except that the control plane
 * not reaching (or not trusting) the agent is the server's failure, said as such: passed on as
 * UNAVAILABLE, a client would take it for its own connection to the control plane failing.
 */
function relayed(err: grpc.ServiceError): Error {
  const details = err.details || err.message;
  if (err.code !== grpc.status.UNAVAILABLE) return Object.assign(new Error(details), { code: err.code });
  const why = details
    .replace(/^No connection established\. Last error: /, '')
    .replace(/\s*Resolution note:.*$/s, '')
    .replace(/\s*\(\d{4}-\d\d-\d\dT[\d:.]+Z\)\.?$/, '')
    .replace(/^Error( \[[A-Z_]+\])?: /, '');
  return Object.assign(new Error(`cannot reach the agent of the pod's node, or it is not that node: ${why}`), { code: grpc.status.INTERNAL });
}

/**
 * proxyLogs serves ClusterAPI.Logs: opens the stream on the agent of the pod's node and copies
 * its chunks; a client that goes away cancels the agent's stream.
 */
export function proxyLogs(agents: AgentProxy, call: grpc.ServerWritableStream<LogsRequest__Output, LogChunk>): void {
  let upstream: grpc.ClientReadableStream<LogChunk__Output> | undefined;
  let gone = false;
  onClientGone(call, () => {
    gone = true;
    upstream?.cancel();
  });
  agents.logs(call.request).then(
    (stream) => {
      upstream = stream;
      if (gone) return stream.cancel();
      stream.on('data', (chunk: LogChunk__Output) => {
        if (!call.write({ data: chunk.data })) {
          stream.pause();
          call.once('drain', () => stream.resume());
        }
      });
      stream.on('end', () => call.end());
      stream.on('error', (err: grpc.ServiceError) => {
        if (!gone) failStream(call, relayed(err));
      });
    },
    (err: unknown) => failStream(call, err),
  );
}

/** The one field a oneof message carries, alone: the decoded form also holds the others' defaults. */
function onlySet<T extends object>(message: T, which: keyof T | undefined): Partial<T> {
  return which === undefined ? {} : ({ [which]: message[which] } as Partial<T>);
}

/**
 * proxyExec serves ClusterAPI.Exec: the first message (start) names the pod, whose node's agent
 * gets the stream; from then on messages are copied both ways, with backpressure. A client
 * that goes away cancels the agent's stream, which kills the command.
 */
export function proxyExec(agents: AgentProxy, call: grpc.ServerDuplexStream<ExecInput__Output, ExecOutput>): void {
  let upstream: grpc.ClientDuplexStream<ExecInput, ExecOutput__Output> | undefined;
  let gone = false;
  const onGone = () => {
    gone = true;
    upstream?.cancel();
  };
  call.on('cancelled', onGone);
  call.on('error', onGone);
  let begun = false;
  call.once('end', () => {
    if (!begun) failStream(call, new InvalidError('the exec stream ended before its `start` message'));
  });
  call.once('data', (first: ExecInput__Output) => {
    begun = true;
    call.pause(); // the rest waits until the agent's stream is open
    if (first.input !== 'start' || !first.start) return failStream(call, new InvalidError('the first message of an exec must be `start`'));
    agents.exec(first.start.namespace, first.start.pod).then(
      (stream) => {
        upstream = stream;
        if (gone) return stream.cancel();
        stream.on('data', (out: ExecOutput__Output) => {
          if (!call.write(onlySet(out, out.output))) {
            stream.pause();
            call.once('drain', () => stream.resume());
          }
        });
        stream.on('end', () => call.end());
        stream.on('error', (err: grpc.ServiceError) => {
          if (!gone) failStream(call, relayed(err));
        });
        stream.write(onlySet(first, first.input));
        call.on('data', (input: ExecInput__Output) => {
          if (!stream.write(onlySet(input, input.input))) {
            call.pause();
            stream.once('drain', () => call.resume());
          }
        });
        call.on('end', () => stream.end());
        call.resume();
      },
      (err: unknown) => failStream(call, err),
    );
  });
}
