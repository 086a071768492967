import type { GuardedChange } from './guarded-change.js';

/**
 * Pod-CIDR claims: one etcd key per handed-out pod CIDR, its value the node's name. Kept outside
 * /berth/<resource>/ so no resource list sees it. A claim is created in the same transaction as
 * the node's write, on the condition that it does not exist yet, so two nodes never get the same
 * CIDR; it is deleted in the same transaction as the Node, so a deleted node's CIDR is free again.
 */
export const POD_CIDR_CLAIM_PREFIX = '/berth-internal/podcidrs/';

/** podCidrClaimKey is the claim's key for `cidr` (its `/` written as `_`). */
export function podCidrClaimKey(cidr: string): string {
  return POD_CIDR_CLAIM_PREFIX + cidr.replace('/', '_');
}

/** cidrOfClaimKey is the CIDR a claim key is for. */
export function cidrOfClaimKey(key: string): string {
  return key.slice(POD_CIDR_CLAIM_PREFIX.length).replace('_', '/');
}

/** claimPodCidr: `node` takes `cidr`, only if nobody holds it. */
export function claimPodCidr(cidr: string, node: string): GuardedChange {
  const key = podCidrClaimKey(cidr);
  return { guards: [{ key, expect: 'absent' }], writes: [{ key, put: node }] };
}

/** keepPodCidr: `node` keeps `cidr`, only if it still holds it (a claim outliving its Node, taken back by that node). */
export function keepPodCidr(cidr: string, node: string): GuardedChange {
  return { guards: [{ key: podCidrClaimKey(cidr), expect: 'value', value: node }], writes: [] };
}

/** releasePodCidr: `node` gives `cidr` up, only if it holds it. */
export function releasePodCidr(cidr: string, node: string): GuardedChange {
  const key = podCidrClaimKey(cidr);
  return { guards: [{ key, expect: 'value', value: node }], writes: [{ key, delete: true }] };
}
