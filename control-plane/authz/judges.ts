import type { CallerIdentity } from '../../proto/security/identity.js';
import { clusterApiDecision } from './cluster-api-policy.js';
import type { Decision } from './decision.js';
import { nodeApiCheck } from './node-api-policy.js';
import type { StoredPodLookup } from './pod-ownership.js';

/**
 * CallJudge is used by the gRPC server to decide whether `identity` (undefined: the call has no
 * client certificate naming a Berth identity) may call `method` with `request` (undefined when
 * the requests stream). It may throw (or reject with) a domain error for a request too malformed
 * to judge; the caller then gets that error's status, as from a handler.
 */
export type CallJudge = (identity: CallerIdentity | undefined, method: string, request: unknown) => Decision | Promise<Decision>;

/** The judge of ClusterAPI calls: admins only (clusterApiDecision). */
export const clusterApiJudge: CallJudge = (identity, method) => clusterApiDecision(identity, method);

/** The judge of NodeAPI calls (nodeApiCheck), reading the pods a call names through `pods`. */
export function nodeApiJudge(pods: StoredPodLookup): CallJudge {
  return (identity, method, request) => {
    const check = nodeApiCheck(identity, method, request);
    if (identity?.kind !== 'node' || check.pods.length === 0) return check.decide([]);
    return pods.podsFor(identity.nodeName, check.pods).then((stored) => check.decide(stored));
  };
}
