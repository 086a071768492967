import type { Etcd3 } from 'etcd3';
import type { Pod } from '../../proto/objects/pod.js';
import { RESOURCE, objectKey } from '../../proto/resources.js';
import { decodeObject, encodeObject } from '../store/codec.js';
import { putGuarded } from './guarded-batch.js';
import type { GuardedPutResult } from './guarded-batch.js';
import { needsScheduling } from './pod-info.js';
import { boundPod } from './pod-conditions.js';

const pods = RESOURCE.pods;

/** Binding asks to put this pod, as read at its resourceVersion, on nodeName. */
export interface Binding {
  pod: Pod;
  nodeName: string;
}

/**
 * BindOutcome is what happened to one binding (STYLE.md item 4), and what the scheduler does next:
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
 * Binder commits a plan (STYLE.md item 2): pods are written bound (spec.nodeName, PodScheduled
 * True) in transactions of up to 128, each put guarded on the pod's mod_revision still being the
 * resourceVersion it was planned from (putGuarded). A pod bound or deleted meanwhile fails its
 * guard and is reported, so it is never bound twice nor resurrected.
 */
export class Binder {
  constructor(private readonly etcd: Etcd3, private readonly schedulerName: string) {}

  /** bind commits the bindings; outcomes are in the same order. `now` is chosen by the caller, before any transaction. */
  async bind(bindings: readonly Binding[], now: string): Promise<BindOutcome[]> {
    const written = bindings.map((b) => boundPod(b.pod, b.nodeName, now));
    const results = await putGuarded(
      this.etcd,
      bindings.map((b, i) => ({
        key: objectKey(pods, b.pod.metadata.namespace, b.pod.metadata.name),
        expectedRevision: b.pod.metadata.resourceVersion ?? '0',
        value: encodeObject(written[i] as Pod),
      })),
    );
    return results.map((r, i) => this.outcome(r, written[i] as Pod));
  }

  private outcome(result: GuardedPutResult, written: Pod): BindOutcome {
    switch (result.kind) {
      case 'written':
        return { kind: 'bound', pod: { ...written, metadata: { ...written.metadata, resourceVersion: result.revision } } };
      case 'error':
        return { kind: 'failed', error: result.error };
      case 'conflict': {
        if (!result.current) return { kind: 'gone' };
        const current = decodeObject(result.current) as Pod;
        if (current.spec.nodeName) return { kind: 'alreadyBound', nodeName: current.spec.nodeName };
        if (!needsScheduling(current, this.schedulerName)) return { kind: 'gone' };
        return { kind: 'changed', current };
      }
    }
  }
}
