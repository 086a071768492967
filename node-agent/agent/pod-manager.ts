import type { Logger } from 'winston';
import { podConfigRefs } from '../../proto/config-refs.js';
import type { Pod } from '../../proto/objects/pod.js';
import { apiTimestamp } from '../../proto/time.js';
import type { Runtime } from '../runtime/index.js';
import { groupByPod } from './container-naming.js';
import { removePodCgroup } from './pod-cgroup.js';
import type { PodStateStore } from './pod-state-store.js';
import { finishTermination } from './pod-termination.js';
import { PodWorker, type PodWorkerDeps } from './pod-worker.js';
import type { TerminationMode } from './termination-plan.js';

/**
 * PodManager is used to keep one PodWorker per pod bound to the node and to end the workers of
 * pods that are not. Its inputs are the pod stream from NodeAPI (pod-source.ts) and, at start,
 * the state directory and the runtime's containers (so pods keep running and restarting before
 * the control plane answers).
 *
 * Lifecycle: start() adopts; then upsert()/remove() per watch event; listed() after each initial
 * list of the stream ends the pods it did not contain and removes orphan containers. A pod that
 * comes with a deletionTimestamp is terminated gracefully (its worker tells the control plane
 * when it is done); one whose object is deleted or bound elsewhere is stopped without that.
 */
export class PodManager {
  private readonly workers = new Map<string, PodWorker>();
  private readonly removing = new Set<PodWorker>();

  constructor(private readonly deps: PodWorkerDeps, private readonly runtime: Runtime, private readonly state: PodStateStore, private readonly logger: Logger) {
    // A pod waiting for a ConfigMap or Secret starts as soon as it arrives; mounted ones follow changes.
    deps.configs.onChange((kind, namespace, name) => {
      for (const worker of this.workers.values()) {
        if (podConfigRefs(worker.spec).some((r) => r.kind === kind && r.namespace === namespace && r.name === name)) worker.kick();
      }
    });
  }

  async start(): Promise<void> {
    await this.state.init();
    const containers = groupByPod(await this.runtime.list());
    const adopted = await this.state.list();
    // A pod's state file goes only after its network is torn down, so an attachment without one is a leftover.
    await this.deps.network.removeOthers(new Set(adopted.map((p) => p.metadata.uid ?? '')));
    await this.deps.ipc.removeOthers(new Set(adopted.map((p) => p.metadata.uid ?? '')));
    // Likewise volumes: those of a pod whose state file is gone were left by a removal cut short.
    for (const uid of await this.deps.volumes.removeOthers(new Set(adopted.map((p) => p.metadata.uid ?? '')))) this.logger.info('removed the volumes of a pod no longer here', { uid });
    // The pods adopted keep their user namespace ranges; those of pods removed meanwhile are free again.
    await this.deps.idRanges.load();
    for (const uid of await this.deps.idRanges.keepOnly(new Set(adopted.map((p) => p.metadata.uid ?? '')))) this.logger.info('freed the user namespace range of a pod no longer here', { uid });
    for (const pod of adopted) {
      const uid = pod.metadata.uid ?? '';
      const worker = new PodWorker(pod, this.deps, containers.get(uid) ?? new Map());
      this.workers.set(uid, worker);
      // A termination an earlier agent began goes on (its grace period counted again from now).
      if (pod.metadata.deletionTimestamp) this.end(uid, worker, 'graceful');
      else worker.kick();
    }
    this.logger.info('pods adopted from the state directory', { pods: this.workers.size });
  }

  /**
   * upsert starts or updates the worker of a pod bound to this node. The pod's state file is
   * written meanwhile: a new worker creates no container before its file is on disk (a restarted
   * agent must know every pod it has containers of), but no pod waits for another pod's file.
   */
  async upsert(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid;
    if (!uid) return;
    const known = this.workers.get(uid);
    if (pod.metadata.deletionTimestamp && !known) return this.finishUnstarted(pod);
    if (known && this.removing.has(known)) {
      // Being removed: a shorter grace period applies to what is not done yet; a pod removed for
      // good starts again from the next list after its removal. No state file write: it goes.
      if (pod.metadata.deletionTimestamp) known.update(pod);
      return;
    }
    // The agent admits a pod when it first sees it: that is its startTime, kept in the state file
    // with the spec, so a restarted agent reports the same one before the control plane answers.
    if (!pod.status?.startTime) pod.status = { ...pod.status, startTime: known?.startTime ?? apiTimestamp() };
    const saved = this.state.save(pod).catch((err: unknown) => {
      this.logger.warn('saving the pod to the state directory failed; an agent restart would not adopt it', { uid, error: String(err) });
    });
    if (known) {
      known.update(pod);
      if (pod.metadata.deletionTimestamp) this.end(uid, known, 'graceful');
      return;
    }
    const created = new PodWorker(pod, this.deps, undefined, saved);
    this.workers.set(uid, created);
    created.kick();
  }

  /**
   * remove ends a pod that was deleted or bound elsewhere: its containers are stopped (grace
   * period) and removed in the background, so a slow stop holds up no other pod. The state file
   * goes last: an agent killed meanwhile finishes the removal after its restart.
   */
  async remove(uid: string): Promise<void> {
    const worker = this.workers.get(uid);
    if (!worker || this.removing.has(worker)) return;
    this.logger.info('pod no longer bound here; stopping it', { pod: `${worker.spec.metadata.namespace}/${worker.spec.metadata.name}`, uid });
    this.end(uid, worker, 'gone');
  }

  /** finishUnstarted ends a pod deleted before anything of it ran here: nothing to stop, the control plane is told at once. */
  private finishUnstarted(pod: Pod): void {
    const ref = { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name, uid: pod.metadata.uid ?? '' };
    this.logger.info('pod deleted before it started here; finishing its termination', { pod: `${ref.namespace}/${ref.name}`, uid: ref.uid });
    void finishTermination(ref, this.deps.control, this.logger);
  }

  /** end terminates a worker in the background (a slow stop holds up no other pod); its state file goes last. */
  private end(uid: string, worker: PodWorker, mode: TerminationMode): void {
    if (mode === 'graceful') this.logger.info('pod is being deleted; terminating it', { pod: `${worker.spec.metadata.namespace}/${worker.spec.metadata.name}`, uid });
    this.removing.add(worker);
    void worker
      .terminate(mode)
      .then(async () => {
        if (this.workers.get(uid) === worker) this.workers.delete(uid);
        await this.state.remove(uid);
        this.logger.info('pod removed', { uid });
      })
      .catch((err: unknown) => this.logger.error('pod removal failed', { uid, error: String(err) }))
      .finally(() => this.removing.delete(worker));
  }

  /** listed is told the complete set of pods bound here: everything else goes, orphan containers too. */
  async listed(uids: Set<string>): Promise<void> {
    for (const uid of [...this.workers.keys()]) if (!uids.has(uid)) await this.remove(uid);
    const known = new Set([...this.workers.values()].flatMap((w) => w.knownIds()));
    for (const [uid, byName] of groupByPod(await this.runtime.list())) {
      if (this.workers.has(uid)) continue;
      for (const instances of byName.values()) {
        for (const c of instances) {
          if (known.has(c.id)) continue;
          this.logger.info('removing orphan container', { id: c.id });
          await this.runtime.remove(c.id, { force: true }).catch((err: unknown) => this.logger.warn('orphan removal failed', { id: c.id, error: String(err) }));
        }
      }
      await this.deps.network.tearDown(uid).catch((err: unknown) => this.logger.warn('orphan netns removal failed', { uid, error: String(err) }));
      await this.deps.ipc.tearDown(uid).catch((err: unknown) => this.logger.warn('orphan IPC namespace removal failed', { uid, error: String(err) }));
      await removePodCgroup(this.deps.cgroupParentOf(uid)).catch(() => undefined);
    }
  }

  /** find returns the worker of pod namespace/name, for log requests. */
  find(namespace: string, name: string): PodWorker | undefined {
    return [...this.workers.values()].find((w) => (w.spec.metadata.namespace ?? 'default') === namespace && w.spec.metadata.name === name);
  }
}
