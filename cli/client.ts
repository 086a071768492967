import * as grpc from '@grpc/grpc-js';
import type { ApplyRequest } from '../proto/generated/berth/v1/ApplyRequest.js';
import type { ApplyResponse__Output } from '../proto/generated/berth/v1/ApplyResponse.js';
import type { ClusterAPIClient } from '../proto/generated/berth/v1/ClusterAPI.js';
import type { ExecOutput__Output } from '../proto/generated/berth/v1/ExecOutput.js';
import type { ExecStart } from '../proto/generated/berth/v1/ExecStart.js';
import type { TerminalSize } from '../proto/generated/berth/v1/TerminalSize.js';
import type { ListRequest } from '../proto/generated/berth/v1/ListRequest.js';
import type { LogChunk__Output } from '../proto/generated/berth/v1/LogChunk.js';
import type { LogsRequest } from '../proto/generated/berth/v1/LogsRequest.js';
import type { WatchEvent__Output } from '../proto/generated/berth/v1/WatchEvent.js';
import type { WatchRequest } from '../proto/generated/berth/v1/WatchRequest.js';
import { GRPC_MAX_MESSAGE_BYTES, loadBerthProto } from '../proto/grpc.js';
import type { BerthObject } from '../proto/objects/meta.js';
import { CONTROL_PLANE_SERVER_NAME, channelCredentials, channelOptionsFor, type TlsMaterial } from '../proto/security/tls-credentials.js';
import { configPath } from './config.js';
import { CliError } from './errors.js';

const CALL_TIMEOUT_MS = 30_000;

/** ApiError is a failed ClusterAPI call; `code` is the gRPC status. */
export class ApiError extends CliError {
  override name = 'ApiError';
  constructor(message: string, readonly code: grpc.status) {
    super(message);
  }
}

/**
 * ClusterClient is the CLI's view of ClusterAPI: promise-returning calls that turn gRPC
 * failures into one clear line (an unreachable control plane says so and how to point at one).
 * It speaks TLS only, presents the user's certificate (`tls`, see clientCredentials) and accepts
 * only a control plane whose certificate the same cluster CA issued.
 */
export class ClusterClient {
  private readonly client: ClusterAPIClient;

  constructor(readonly server: string, tls: TlsMaterial) {
    const proto = loadBerthProto();
    this.client = new proto.berth.v1.ClusterAPI(server, channelCredentials(tls), {
      ...channelOptionsFor(CONTROL_PLANE_SERVER_NAME),
      'grpc.max_receive_message_length': GRPC_MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': GRPC_MAX_MESSAGE_BYTES,
    });
  }

  close(): void {
    this.client.close();
  }

  apply(request: ApplyRequest): Promise<ApplyResponse__Output> {
    return this.unary((cb) => this.client.Apply(request, this.options(), cb));
  }

  async get(resource: string, namespace: string, name: string): Promise<BerthObject> {
    const reply = await this.unary<{ object_json: string }>((cb) => this.client.Get({ resource, namespace, name }, this.options(), cb));
    return JSON.parse(reply.object_json) as BerthObject;
  }

  async list(request: ListRequest): Promise<{ items: BerthObject[]; resourceVersion: string }> {
    const reply = await this.unary<{ items_json: string[]; resource_version: string }>((cb) => this.client.List(request, this.options(), cb));
    return { items: reply.items_json.map((j) => JSON.parse(j) as BerthObject), resourceVersion: reply.resource_version };
  }

  /** delete deletes one object; for a pod, `gracePeriodSeconds` (0: the pod's own) and `force` (remove at once). */
  async delete(resource: string, namespace: string, name: string, pod: { gracePeriodSeconds?: number; force?: boolean } = {}): Promise<BerthObject> {
    const request = { ref: { resource, namespace, name }, grace_period_seconds: pod.gracePeriodSeconds ?? 0, force: pod.force ?? false };
    const reply = await this.unary<{ object_json: string }>((cb) => this.client.Delete(request, this.options(), cb));
    return JSON.parse(reply.object_json) as BerthObject;
  }

  async scale(resource: string, namespace: string, name: string, replicas: number, resourceVersion = ''): Promise<BerthObject> {
    const reply = await this.unary<{ object_json: string }>((cb) =>
      this.client.Scale({ ref: { resource, namespace, name }, replicas, resource_version: resourceVersion }, this.options(), cb),
    );
    return JSON.parse(reply.object_json) as BerthObject;
  }

  /** patch sends an RFC 7386 merge patch; with a resourceVersion, only if the object is still at it (else ABORTED). */
  async patch(resource: string, namespace: string, name: string, patch: object, resourceVersion = ''): Promise<BerthObject> {
    const reply = await this.unary<{ object_json: string }>((cb) =>
      this.client.Patch({ ref: { resource, namespace, name }, patch_json: JSON.stringify(patch), resource_version: resourceVersion }, this.options(), cb),
    );
    return JSON.parse(reply.object_json) as BerthObject;
  }

  async cordon(nodeName: string, unschedulable: boolean): Promise<BerthObject> {
    const reply = await this.unary<{ object_json: string }>((cb) => this.client.Cordon({ node_name: nodeName, unschedulable }, this.options(), cb));
    return JSON.parse(reply.object_json) as BerthObject;
  }

  drain(nodeName: string): Promise<{ evicted: string[] }> {
    return this.unary((cb) => this.client.Drain({ node_name: nodeName }, this.options(), cb));
  }

  /** logs writes a container's log to `out` as it arrives; with follow it ends when the container does. */
  logs(request: LogsRequest, out: NodeJS.WritableStream): Promise<void> {
    return new Promise((resolve, reject) => {
      const call = this.client.Logs(request);
      call.on('data', (chunk: LogChunk__Output) => out.write(chunk.data));
      call.on('end', () => resolve());
      call.on('error', (err: grpc.ServiceError) => reject(this.describe(err)));
    });
  }

  /**
   * exec runs a command in a pod's container: `io.stdin` (when given) goes to it, its output to
   * `io.stdout` and `io.stderr`, and `io.onResize` is handed a function that sends a new terminal
   * size. Resolves with the command's exit code.
   */
  exec(start: ExecStart, io: ExecIo): Promise<number> {
    return new Promise((resolve, reject) => {
      const call = this.client.Exec();
      let exitCode: number | undefined;
      const write = (out: NodeJS.WritableStream, data: Buffer) => {
        if (out.write(data)) return;
        call.pause();
        out.once('drain', () => call.resume());
      };
      call.on('data', (out: ExecOutput__Output) => {
        if (out.output === 'stdout' && out.stdout) write(io.stdout, out.stdout);
        else if (out.output === 'stderr' && out.stderr) write(io.stderr, out.stderr);
        else if (out.output === 'exit_code') exitCode = out.exit_code;
      });
      call.on('end', () => {
        if (exitCode === undefined) reject(new ApiError('the exec ended without saying how the command ended', grpc.status.UNKNOWN));
        else resolve(exitCode);
      });
      call.on('error', (err: grpc.ServiceError) => reject(this.describe(err)));
      call.write({ start });
      io.stdin?.on('data', (data: Buffer) => call.write({ stdin: data }));
      io.stdin?.on('end', () => call.write({ stdin_end: true }));
      io.onResize?.((size) => call.write({ resize: size }));
    });
  }

  /** watch calls onEvent for each change until the stream ends or fails, or `signal` aborts it (then it resolves). */
  watch(request: WatchRequest, onEvent: (type: string, object: BerthObject) => void, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return resolve();
      const call = this.client.Watch(request);
      const abort = () => call.cancel();
      signal?.addEventListener('abort', abort, { once: true });
      const settle = () => signal?.removeEventListener('abort', abort);
      call.on('data', (e: WatchEvent__Output) => {
        if (!signal?.aborted) onEvent(e.type, JSON.parse(e.object_json) as BerthObject);
      });
      call.on('end', () => {
        settle();
        resolve();
      });
      call.on('error', (err: grpc.ServiceError) => {
        settle();
        if (signal?.aborted && err.code === grpc.status.CANCELLED) resolve();
        else reject(this.describe(err));
      });
    });
  }

  private options(): grpc.CallOptions {
    return { deadline: Date.now() + CALL_TIMEOUT_MS };
  }

  private unary<T>(start: (cb: (err: grpc.ServiceError | null, res?: T) => void) => void): Promise<T> {
    return new Promise((resolve, reject) =>
      start((err, res) => (err ? reject(this.describe(err)) : resolve(res as T))),
    );
  }

  private describe(err: grpc.ServiceError): ApiError {
    if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) {
      const details = err.details || err.message;
      const why = connectionFailure(details);
      if (UNTRUSTED_SERVER.test(details)) {
        return new ApiError(
          `cannot trust the Berth control plane at ${this.server} (${why}): its certificate is not from the cluster CA in ${configPath()}, so that config is for another cluster, or the cluster was made again. Run \`berth up\` again for a local cluster, or ask the cluster's admin for a current config.`,
          err.code,
        );
      }
      // A control plane that refuses the client's certificate just closes the connection.
      const refused = /^Failed to connect|Connection dropped|ECONNRESET|socket hang up/i.test(why) ? ` If it is running, it may have refused this client's certificate (from ${configPath()}).` : '';
      return new ApiError(
        `cannot reach the Berth control plane at ${this.server} (${why}). Is berth-control-plane running? Point the CLI at it with --server, BERTH_SERVER or "server:" in ~/.berth/config.${refused}`,
        err.code,
      );
    }
    const label = STATUS_LABELS[err.code] ?? grpc.status[err.code] ?? 'Unknown';
    return new ApiError(`Error from server (${label}): ${err.details || err.message}`, err.code);
  }
}

/** ExecIo is used to connect an exec to the terminal or files of the CLI. */
export interface ExecIo {
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  onResize?: (send: (size: TerminalSize) => void) => void;
}

/** What grpc-js (Node's TLS) says when the server's certificate does not verify against the CA or does not carry the name. */
const UNTRUSTED_SERVER = /self.signed certificate|unable to verify|unable to get (local )?issuer|certificate signature failure|altnames|certificate has expired/i;

/** connectionFailure turns grpc-js' connection error text into a few plain words. */
function connectionFailure(details: string): string {
  if (/ECONNREFUSED/.test(details)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN/.test(details)) return 'unknown host';
  if (/ETIMEDOUT|Deadline/i.test(details)) return 'timed out';
  if (/EHOSTUNREACH|ENETUNREACH/.test(details)) return 'no route to host';
  return details
    .replace(/^No connection established\. Last error: /, '')
    .replace(/\. Resolution note:.*$/, '')
    .replace(/^Error: /, '')
    .replace(/ \(\d{4}-\d\d-\d\dT[\d:.]+Z\)$/, '');
}

/** kubectl-style names for the statuses users see most. */
const STATUS_LABELS: Partial<Record<grpc.status, string>> = {
  [grpc.status.NOT_FOUND]: 'NotFound',
  [grpc.status.ALREADY_EXISTS]: 'AlreadyExists',
  [grpc.status.ABORTED]: 'Conflict',
  [grpc.status.INVALID_ARGUMENT]: 'Invalid',
  [grpc.status.OUT_OF_RANGE]: 'Expired',
  [grpc.status.INTERNAL]: 'InternalError',
  [grpc.status.UNIMPLEMENTED]: 'NotImplemented',
  [grpc.status.FAILED_PRECONDITION]: 'BadRequest',
};
