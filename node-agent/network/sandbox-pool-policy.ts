/**
 * The warm pool's decisions, pure: which sandbox a pod gets, and what the pool does next. The
 * pool (sandbox-pool.ts) carries them out.
 */

/** How long the pool keeps still after a pod's setUp: pods of a burst keep starting containers after their sandbox. */
export const DEFAULT_POOL_QUIET_MS = 2_000;
/** Back-off after failed pool ADDs: 1 s, doubling, at most this long. */
const MAX_BACKOFF_MS = 60_000;

/** SandboxChoice is how a pod gets its sandbox. */
export type SandboxChoice =
  /** It has one (a restarted agent adopting it): CHECK it and keep its IP. */
  | { kind: 'adopt'; sandboxId: string }
  /** A ready sandbox of the pool, at once. */
  | { kind: 'take'; sandboxId: string }
  /**
   * A sandbox of its own, attached now at the pods' priority: the pool is empty, or the pod has
   * host ports (the pool's sandboxes are attached without portmap, and a CNI attachment is made
   * by one configuration list: a plugin is never added to it afterwards).
   */
  | { kind: 'attach'; reason: 'host-ports' | 'pool-empty' };

/** chooseSandbox decides how a pod gets its sandbox: its own if it has one, else the oldest ready pool sandbox, else its own, attached now. */
export function chooseSandbox(pod: { sandboxId: string | undefined; hostPorts: number }, ready: readonly string[]): SandboxChoice {
  if (pod.sandboxId !== undefined) return { kind: 'adopt', sandboxId: pod.sandboxId };
  if (pod.hostPorts > 0) return { kind: 'attach', reason: 'host-ports' };
  const oldest = ready[0];
  return oldest === undefined ? { kind: 'attach', reason: 'pool-empty' } : { kind: 'take', sandboxId: oldest };
}

/** PoolSnapshot is what the pool's next step is decided from; times are ms on one clock. */
export interface PoolSnapshot {
  now: number;
  /** How many ready sandboxes the pool keeps (--pod-sandbox-pool); 0 disables it. */
  target: number;
  /** The node's pod CIDR is known: nothing can be attached before. */
  configured: boolean;
  /** Attached, checked and not taken. */
  ready: number;
  /** Adopted from an earlier agent and not yet checked (CHECK, and the configuration still the node's). */
  unverified: number;
  /** To be removed: an ADD an earlier agent never finished, a failed CHECK, a sandbox of an old configuration. */
  stale: number;
  /** Pod setUps running now. */
  podsSettingUp: number;
  /** When the last pod setUp began or ended. */
  lastPodActivity: number;
  /** How long the pool keeps still after pod activity. */
  quietMs: number;
  /** Addresses of the pod CIDR that no sandbox (a pod's or the pool's) holds. */
  freeAddresses: number;
  /** Pool steps that failed in a row, and when the last did. */
  failures: number;
  lastFailure: number;
}

/**
 * PoolStep is the pool's next step. The pool runs one at a time in the background (SCHED_IDLE)
 * and decides again after each.
 */
export type PoolStep =
  /** DEL a stale sandbox, remove its namespace and record. */
  | { kind: 'remove-stale' }
  /** Remove one sandbox beyond the target (an unchecked one first). */
  | { kind: 'trim' }
  /** Check one adopted sandbox: ready if it passes, stale if not. */
  | { kind: 'verify' }
  /** Make one sandbox: namespace, ADD, record. */
  | { kind: 'add' }
  /** Nothing until `until` (pods starting, or back-off after failures), unless something changes first. */
  | { kind: 'wait'; until: number; reason: 'pods-starting' | 'back-off' }
  /** Nothing until something changes (a pod takes a sandbox, a setUp ends, the CIDR arrives). */
  | { kind: 'rest'; reason: 'pods-starting' | 'full' | 'unconfigured' | 'no-free-addresses' };

/**
 * nextPoolStep decides what the pool does now. Pods come first: while any pod is being set up,
 * and for quietMs after, the pool does nothing at all, so its plugin runs never compete with a
 * burst of pods (even at idle priority they would hold the IPAM lock and the bridge). Then it
 * cleans up (stale sandboxes hold addresses), sheds what is beyond the target, checks what an
 * earlier agent left, and only then adds, one sandbox at a time, while the pod CIDR keeps at
 * least `target` addresses free for pods that attach on their own (those with host ports, and
 * those beyond the pool). After a failed step it backs off: 1 s, doubling up to a minute.
 */
export function nextPoolStep(s: PoolSnapshot): PoolStep {
  if (s.podsSettingUp > 0) return { kind: 'rest', reason: 'pods-starting' };
  if (s.now < s.lastPodActivity + s.quietMs) return { kind: 'wait', until: s.lastPodActivity + s.quietMs, reason: 'pods-starting' };
  if (s.failures > 0) {
    const until = s.lastFailure + Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** (s.failures - 1));
    if (s.now < until) return { kind: 'wait', until, reason: 'back-off' };
  }
  if (s.stale > 0) return { kind: 'remove-stale' };
  if (s.ready + s.unverified > s.target) return { kind: 'trim' };
  // Checking an adopted sandbox compares its configuration with the node's: that needs the pod CIDR.
  if (!s.configured) return { kind: 'rest', reason: 'unconfigured' };
  if (s.unverified > 0) return { kind: 'verify' };
  if (s.ready >= s.target) return { kind: 'rest', reason: 'full' };
  if (s.freeAddresses <= s.target) return { kind: 'rest', reason: 'no-free-addresses' };
  return { kind: 'add' };
}
