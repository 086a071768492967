import type { Pod } from '../../proto/objects/pod.js';
import { RESOURCE } from '../../proto/resources.js';
import { decodeStored, updateObject } from '../store/guarded-change.js';
import type { ChangeResult } from '../store/guarded-change.js';
import type { ObjectStore } from '../store/object-store.js';
import { needsScheduling } from './pod-info.js';
import { boundPod } from './pod-conditions.js';

const pods = RESOURCE.pods;

/** Binding asks to put this pod, as read at its resourceVersion, on nodeName. */
export interface Binding {
  pod: Pod;
  nodeName: string;
}

/**
 * BindOutcome is what happened to one binding, and what the scheduler does next:
 * - bound: committed; record the Scheduled event.
 * - gone: deleted, or no longer ours to schedule (being deleted, finished): drop it.
 * - alreadyBound: someone else bound it meanwhile: drop it, never bind twice.
 * - changed: still pending but changed since it was read: plan it again with `current`.
 * - failed: the store did not answer: plan it again after a backoff.
 */
export type BindOutcome =
  | { kind: 'bound'; pod: Pod }
  | { kind: 'gone' }
  | { kind: 'alreadyBound'; nodeName: string }
  | { kind: 'changed'; current: Pod }
  | { kind: 'failed'; error: unknown };

/**
 * Binder commits a plan: pods are written bound (spec.nodeName, PodScheduled True), group-
 * committed by the store (transactions of up to 128), each write guarded on the pod's
 * mod_revision still being the resourceVersion it was planned from. A pod bound or deleted
 * meanwhile fails its guard and is reported, so it is never bound twice nor resurrected.
 */
export class Binder {
  constructor(private readonly store: ObjectStore, private readonly schedulerName: string) {}

  /** bind commits the bindings; outcomes are in the same order. `now` is chosen by the caller, before any transaction. */
  async bind(bindings: readonly Binding[], now: string): Promise<BindOutcome[]> {
    const written = bindings.map((b) => boundPod(b.pod, b.nodeName, now));
    // boundPod keeps the pod's resourceVersion: each write is guarded on the copy it was planned from.
    const results = await this.store.commit(written.map((pod) => updateObject(pods, pod)));
    return results.map((r, i) => this.outcome(r, written[i] as Pod));
  }

  private outcome(result: ChangeResult, written: Pod): BindOutcome {
    switch (result.kind) {
      case 'committed':
        return { kind: 'bound', pod: { ...written, metadata: { ...written.metadata, resourceVersion: result.revision } } };
      case 'error':
        return { kind: 'failed', error: result.error };
      case 'conflict': {
        const stored = result.current[0];
        if (!stored) return { kind: 'gone' };
        const current = decodeStored(stored) as Pod;
        if (current.spec.nodeName) return { kind: 'alreadyBound', nodeName: current.spec.nodeName };
        if (!needsScheduling(current, this.schedulerName)) return { kind: 'gone' };
        return { kind: 'changed', current };
      }
    }
  }
}
