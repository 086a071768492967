import type { Pod } from '../../proto/objects/pod.js';
import type { ContainerRecord } from '../agent/container-record.js';
import { killMessage } from '../agent/container-stop.js';
import type { PodFacts } from '../agent/downward-env.js';
import type { EventReporter } from '../agent/event-reporter.js';
import { decidePod } from '../agent/pod-decision.js';
import { ContainerConfigError } from '../config/config-error.js';
import { VolumeError, type NodeVolumes } from './node-volumes.js';

/** The reason a container shows while a ConfigMap or Secret its pod's volumes need is missing. */
const CONFIG_ERROR_REASON = 'CreateContainerConfigError';

/** How often the disk use of an emptyDir with a sizeLimit is measured (the kubelet's eviction manager: 10 s). */
export const USAGE_CHECK_MS = 5_000;

/** SyncContext is used for what PodVolumeState.holdsStarts needs of its pod worker. */
export interface SyncContext {
  pod: Pod;
  records: Map<string, ContainerRecord>;
  facts(): Promise<PodFacts>;
  /** Stops a running instance at once (SIGKILL), recording it as the container's current one. */
  kill(name: string, id: string): Promise<void>;
  wakeIn(ms: number): void;
}

/**
 * PodVolumeState is used by a pod worker for its pod's volumes between syncs: whether they are
 * ready (no container is made before), what its waiting containers show meanwhile, the FailedMount
 * events (one per distinct failure, not one per retry), and the pod's eviction once a disk
 * emptyDir outgrows its sizeLimit.
 */
export class PodVolumeState {
  private lastFailure: string | undefined;
  /** Kubernetes' eviction message, once the pod is evicted: nothing of it runs again. */
  evicted: string | undefined;

  constructor(private readonly volumes: NodeVolumes, private readonly events: EventReporter) {}

  /**
   * holdsStarts sets up or refreshes the pod's volumes and watches the disk use of its
   * emptyDirs, once per sync of the worker. True when nothing may be started: volumes not ready
   * yet (the containers show why), or the pod evicted (its containers are killed; it stays
   * Failed until deleted).
   */
  async holdsStarts(ctx: SyncContext): Promise<boolean> {
    const { pod, records } = ctx;
    if (this.volumes.hasLimitedDisk(pod)) ctx.wakeIn(USAGE_CHECK_MS);
    await this.checkUsage(pod);
    if (this.evicted !== undefined) {
      // The kubelet evicts over a local storage limit without a grace period.
      for (const { name, action } of decidePod({ pod, containers: records, now: Date.now(), terminating: true })) {
        if (action.kind !== 'kill') continue;
        this.events.pod(pod, 'Normal', 'Killing', killMessage(name, 'PodTerminating'), `spec.containers{${name}}`);
        await ctx.kill(name, action.id);
      }
      return true;
    }
    const running = [...records.values()].some((r) => r.current !== undefined);
    return !(await this.prepare(pod, await ctx.facts(), records.values(), running));
  }

  /**
   * prepare sets up (or refreshes) the pod's volumes. Returns false when containers must not be
   * made yet: then each container without an instance waits with CreateContainerConfigError (a
   * missing ConfigMap or Secret) or ContainerCreating, and the failure is a FailedMount event.
   * A pod already running goes on with its volumes as they were.
   */
  async prepare(pod: Pod, facts: PodFacts, records: Iterable<ContainerRecord>, running: boolean): Promise<boolean> {
    try {
      const { staleWarnings } = await this.volumes.setUp(pod, facts);
      for (const warning of staleWarnings) this.failed(pod, warning);
      if (staleWarnings.length === 0) this.lastFailure = undefined;
      for (const rec of records) if (rec.waiting?.reason === CONFIG_ERROR_REASON && !rec.current) rec.waiting = undefined;
      return true;
    } catch (err) {
      if (!(err instanceof VolumeError)) throw err;
      this.failed(pod, err.message);
      if (running) return true;
      const waiting = err.cause instanceof ContainerConfigError ? { reason: CONFIG_ERROR_REASON, message: err.cause.message } : { reason: 'ContainerCreating', message: err.message };
      for (const rec of records) if (!rec.current) rec.waiting = waiting;
      return false;
    }
  }

  /** checkUsage evicts the pod when a disk emptyDir holds more than its sizeLimit; true when it just was. */
  async checkUsage(pod: Pod): Promise<boolean> {
    if (this.evicted !== undefined || !this.volumes.hasLimitedDisk(pod)) return false;
    const message = await this.volumes.exceededLimit(pod);
    if (message === undefined) return false;
    this.evicted = message;
    this.events.pod(pod, 'Warning', 'Evicted', message);
    return true;
  }

  private failed(pod: Pod, message: string): void {
    if (message === this.lastFailure) return;
    this.lastFailure = message;
    this.events.pod(pod, 'Warning', 'FailedMount', message);
  }
}
