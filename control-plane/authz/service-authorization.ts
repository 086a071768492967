import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'winston';
import type { NodeService } from '../nodes/node-service.js';
import { authorizeService } from './authorized-service.js';
import type { CallJudge } from './authorized-service.js';
import { clusterApiDecision } from './cluster-api-policy.js';
import { nodeApiCheck } from './node-api-policy.js';
import { StoredPodLookup } from './pod-ownership.js';

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

/** authorizeClusterApi gates ClusterAPI's handlers: only admin identities reach them. */
export function authorizeClusterApi<H extends grpc.UntypedServiceImplementation>(definition: grpc.ServiceDefinition, handlers: H, logger: Logger): H {
  return authorizeService(definition, handlers, clusterApiJudge, logger);
}

/** authorizeNodeApi gates NodeAPI's handlers: a node reaches them only for itself and its own pods. */
export function authorizeNodeApi<H extends grpc.UntypedServiceImplementation>(definition: grpc.ServiceDefinition, handlers: H, nodes: NodeService, logger: Logger): H {
  return authorizeService(definition, handlers, nodeApiJudge(new StoredPodLookup(nodes.store, (key) => nodes.pods.cached(key))), logger);
}
