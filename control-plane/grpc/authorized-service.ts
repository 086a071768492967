import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'winston';
import { callerIdentity, describeIdentity } from '../../proto/security/identity.js';
import type { CallJudge } from '../authz/judges.js';
import { clusterApiJudge, nodeApiJudge } from '../authz/judges.js';
import type { Decision } from '../authz/decision.js';
import { StoredPodLookup } from '../authz/pod-ownership.js';
import type { NodeService } from '../nodes/node-service.js';
import { answerError, failStream } from './errors.js';

/** The surface of a server call the gate needs: every kind of grpc-js server call has it. */
interface GatedCall {
  readonly cancelled: boolean;
  request?: unknown;
  getPath(): string;
  getAuthContext(): ReturnType<grpc.ServerUnaryCall<unknown, unknown>['getAuthContext']>;
}

/**
 * authorizeService wraps every handler of a service so that it runs only for a call `judge`
 * allows, with the caller's identity read from the call's verified client certificate. A refused
 * call is answered PERMISSION_DENIED with a message naming the caller and what was refused, and
 * logged (warn) with the same; no handler sees it. A method without a handler is left as is
 * (grpc-js answers UNIMPLEMENTED).
 */
export function authorizeService<H extends grpc.UntypedServiceImplementation>(definition: grpc.ServiceDefinition, handlers: H, judge: CallJudge, logger: Logger): H {
  const gated: grpc.UntypedServiceImplementation = { ...handlers };
  for (const [name, method] of Object.entries(definition)) {
    const handler = handlers[name];
    if (!handler) continue;
    const gate = (call: GatedCall, proceed: () => void, fail: (err: grpc.ServiceError) => void) => admit(call, name, method.requestStream ? undefined : call.request, judge, logger, proceed, fail);
    if (method.responseStream) {
      // Server streaming and bidirectional calls: the status of a refusal is sent by failStream.
      gated[name] = (call: grpc.ServerWritableStream<unknown, unknown> & GatedCall) =>
        gate(call, () => (handler as (c: typeof call) => void)(call), (err) => failStream(call, err));
    } else {
      gated[name] = (call: grpc.ServerUnaryCall<unknown, unknown> & GatedCall, callback: grpc.sendUnaryData<unknown>) =>
        gate(call, () => (handler as (c: typeof call, cb: typeof callback) => void)(call, callback), (err) => callback(err));
    }
  }
  return gated as H;
}

/** admit judges one call and either proceeds to its handler or fails it. */
function admit(call: GatedCall, method: string, request: unknown, judge: CallJudge, logger: Logger, proceed: () => void, fail: (err: grpc.ServiceError) => void): void {
  const identity = callerIdentity(call);
  const settle = (decision: Decision) => {
    if (decision.allowed) {
      // A caller that went away while its call was judged has nobody to answer.
      if (!call.cancelled) proceed();
      return;
    }
    const message = `${describeIdentity(identity)} may not ${decision.refused}`;
    logger.warn('permission denied', { caller: describeIdentity(identity), method: call.getPath(), refused: message });
    fail(Object.assign(new Error(message), { code: grpc.status.PERMISSION_DENIED, details: message, metadata: new grpc.Metadata() }));
  };
  const unjudged = (err: unknown) => fail(answerError(logger, err, { method: call.getPath(), caller: describeIdentity(identity) }));
  let decision: Decision | Promise<Decision>;
  try {
    decision = judge(identity, method, request);
  } catch (err) {
    unjudged(err);
    return;
  }
  if (decision instanceof Promise) decision.then(settle, unjudged);
  else settle(decision);
}

/** authorizeClusterApi gates ClusterAPI's handlers: only admin identities reach them. */
export function authorizeClusterApi<H extends grpc.UntypedServiceImplementation>(definition: grpc.ServiceDefinition, handlers: H, logger: Logger): H {
  return authorizeService(definition, handlers, clusterApiJudge, logger);
}

/** authorizeNodeApi gates NodeAPI's handlers: a node reaches them only for itself and its own pods. */
export function authorizeNodeApi<H extends grpc.UntypedServiceImplementation>(definition: grpc.ServiceDefinition, handlers: H, nodes: NodeService, logger: Logger): H {
  return authorizeService(definition, handlers, nodeApiJudge(new StoredPodLookup(nodes.store, (key) => nodes.pods.cached(key))), logger);
}
