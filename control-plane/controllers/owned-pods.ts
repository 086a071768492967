import type { BerthObject } from '../../proto/objects/meta.js';
import type { Pod } from '../../proto/objects/pod.js';
import { RESOURCE } from '../../proto/resources.js';
import { NotFoundError } from '../errors.js';
import type { EventSink } from '../events/event-recorder.js';
import type { ObjectStore } from '../store/object-store.js';
import { deletePod } from '../store/pod-deletion.js';
import type { ObjectCache } from '../watch/object-cache.js';
import { controllerRef } from './controller-util.js';
import type { Expectations } from './expectations.js';

/**
 * OwnedPods is used by the ReplicaSet (deletes only), DaemonSet and Job controllers to find the pods an object controls
 * (by its uid in their controller reference) and to create and delete them one by one, with
 * expectations recorded before each write and lowered when it fails, and Kubernetes' events
 * (SuccessfulCreate, SuccessfulDelete, FailedCreate, FailedDelete) on the owner.
 */
export class OwnedPods {
  constructor(
    private readonly store: ObjectStore,
    private readonly pods: ObjectCache,
    private readonly expectations: Expectations,
    private readonly events: EventSink,
  ) {}

  /** of lists the pods `owner` controls, from the informer. */
  of(owner: BerthObject): Pod[] {
    const uid = owner.metadata.uid;
    return this.pods.list((o) => o.metadata.namespace === owner.metadata.namespace && controllerRef(o)?.uid === uid) as Pod[];
  }

  /** create writes the pods (each already named and owned); throws the first failure after trying all. */
  async create(key: string, owner: BerthObject, pods: readonly Pod[]): Promise<void> {
    if (pods.length === 0) return;
    this.expectations.expect(key, pods.map((p) => p.metadata.name), []);
    const results = await Promise.allSettled(
      pods.map(async (pod) => {
        try {
          await this.store.create(RESOURCE.pods, pod);
          this.events.record(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
        } catch (err) {
          this.expectations.lower(key, [pod.metadata.name], []);
          this.events.record(owner, 'Warning', 'FailedCreate', `Error creating: ${err instanceof Error ? err.message : String(err)}`);
          throw err;
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** delete removes the pods gracefully; one already gone counts as deleted. */
  async delete(key: string, owner: BerthObject, victims: readonly Pod[]): Promise<void> {
    if (victims.length === 0) return;
    this.expectations.expect(key, [], victims.map((p) => p.metadata.name));
    const results = await Promise.allSettled(
      victims.map(async (pod) => {
        try {
          await deletePod(this.store, pod.metadata.namespace ?? 'default', pod.metadata.name);
          this.events.record(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        } catch (err) {
          this.expectations.lower(key, [], [pod.metadata.name]);
          if (err instanceof NotFoundError) return;
          this.events.record(owner, 'Warning', 'FailedDelete', `Error deleting: ${err instanceof Error ? err.message : String(err)}`);
          throw err;
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
