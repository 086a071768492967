import type { ReplicaSet } from '../../proto/objects/apps.js';
import type { Pod } from '../../proto/objects/pod.js';
import { RESOURCE } from '../../proto/resources.js';
import { AlreadyExistsError } from '../errors.js';
import type { EventSink } from '../events/event-recorder.js';
import { encodeObject } from '../store/codec.js';
import type { ObjectStore } from '../store/object-store.js';
import type { Expectations } from './expectations.js';
import { generatedPodName, podFromTemplate, podsPerTransaction, slowStartBatches } from './replicaset-logic.js';
import { newIdentity } from '../objects/identity.js';

const pods = RESOURCE.pods;

/** Attempts at a generated name before a create fails (names are random: a clash is rare). */
const NAME_ATTEMPTS = 4;

/**
 * ReplicaCreator is used by the ReplicaSet controller to create the pods a ReplicaSet lacks.
 * Each batch of slowStartBatches is one etcd transaction (all or nothing), committed after the
 * one before succeeded; the first failing batch ends the step with its error. Every name is
 * expected (Expectations) before its write and lowered when the write fails, so the controller
 * waits for the informer to show exactly the pods that were created.
 */
export class ReplicaCreator {
  constructor(
    private readonly store: ObjectStore,
    private readonly expectations: Expectations,
    private readonly events: EventSink,
    private readonly now: () => number,
  ) {}

  /** create makes `count` new pods for `rs` (controller key `key`); throws the first failure. */
  async create(key: string, rs: ReplicaSet, count: number): Promise<void> {
    if (count <= 0) return;
    const sample = podFromTemplate(rs, generatedPodName(rs.metadata.name), newIdentity(new Date(this.now())));
    for (const size of slowStartBatches(count, podsPerTransaction(encodeObject(sample).length))) await this.createBatch(key, rs, size);
  }

  private async createBatch(key: string, rs: ReplicaSet, size: number): Promise<void> {
    const batch = Array.from({ length: size }, () => podFromTemplate(rs, generatedPodName(rs.metadata.name), newIdentity(new Date(this.now()))));
    const names = batch.map((p) => p.metadata.name);
    this.expectations.expect(key, names, []);
    let stored;
    try {
      stored = size > 1 ? await this.store.createAll(batch.map((object) => ({ info: pods, object })), []) : undefined;
    } catch (err) {
      // etcd refused or failed the transaction: none of the batch was written.
      this.expectations.lower(key, names, []);
      this.failed(rs, err);
      throw err;
    }
    if (stored) {
      for (const name of names) this.events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`);
      return;
    }
    // A batch of one, or a generated name that was taken: each pod on its own, each free to pick another name.
    const results = await Promise.allSettled(batch.map((pod) => this.createOne(key, rs, pod)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async createOne(key: string, rs: ReplicaSet, first: Pod): Promise<void> {
    let pod = first;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.create(pods, pod);
        this.events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
        return;
      } catch (err) {
        this.expectations.lower(key, [pod.metadata.name], []);
        if (!(err instanceof AlreadyExistsError) || attempt >= NAME_ATTEMPTS) {
          this.failed(rs, err);
          throw err;
        }
        pod = podFromTemplate(rs, generatedPodName(rs.metadata.name), newIdentity(new Date(this.now())));
        this.expectations.expect(key, [pod.metadata.name], []);
      }
    }
  }

  private failed(rs: ReplicaSet, err: unknown): void {
    this.events.record(rs, 'Warning', 'FailedCreate', `Error creating: ${err instanceof Error ? err.message : String(err)}`);
  }
}
