import type { CallerIdentity } from '../../proto/security/identity.js';
import { ALLOW, deny } from './decision.js';
import type { Decision } from './decision.js';

/**
 * clusterApiDecision: ClusterAPI (every object of the cluster, logs and exec in any pod) is for
 * admin identities only. Nodes have NodeAPI, which hands each node only what is its own; the
 * control plane's identity is for calling agents. So Leases (coordination.k8s.io), like every
 * other object, are written through ClusterAPI by admins alone. Pure.
 */
export function clusterApiDecision(identity: CallerIdentity | undefined, method: string): Decision {
  if (identity?.kind === 'admin') return ALLOW;
  return deny(`call ClusterAPI ${method}: ClusterAPI is for admin identities only`);
}
