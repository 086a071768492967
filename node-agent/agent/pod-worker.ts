import { cpus, totalmem } from 'node:os';
import type { Container, Pod, PodStatus } from '../../proto/objects/pod.js';
import { apiTimestamp } from '../../proto/time.js';
import type { ProbeTarget } from '../probes/probe-checks.js';
import { PodProbes } from '../probes/pod-probes.js';
import type { ContainerStatus as RuntimeContainer } from '../runtime/index.js';
import { portMappingsOf } from '../network/cni-config.js';
import { waitingInPullBackOff } from './container-image.js';
import { startInstance, type StartContext } from './container-start.js';
import { killMessage, stopContainer } from './container-stop.js';
import { newRecord, type ContainerRecord } from './container-record.js';
import { allContainers, containerFieldPath, sidecars } from './init-progress.js';
import { removePodCgroup } from './pod-cgroup.js';
import { decidePod, type ContainerAction } from './pod-decision.js';
import { probedContainers } from './pod-probing.js';
import { computePodStatus } from './pod-status.js';
import { podViews } from './pod-views.js';
import { runTermination, type RunningInstance } from './pod-termination.js';
import { waitAcceptQueuesEmpty } from '../network/accept-queues.js';
import type { PodIpcPaths } from './pod-ipc.js';
import { podIds, type PodIds } from './pod-userns.js';
import type { PodWorkerDeps } from './pod-worker-deps.js';
import { inspectIfPresent, removeIfPresent } from './runtime-calls.js';
import { planTermination, shortenedDeadline, type TerminationMode, type TerminationPlan } from './termination-plan.js';
import { PodVolumeState, type SyncContext } from '../volumes/pod-volume-state.js';

export type { PodWorkerDeps } from './pod-worker-deps.js';

/** How often a worker looks again with nothing to wake it (a missed event costs at most this). */
const RESYNC_MS = 10_000;

/**
 * PodWorker is used to converge one pod, level-triggered: every wake-up (spec change, container
 * exit, backoff timer, resync) runs sync(), which inspects what runs, asks decidePod
 * (pod-decision.ts) what to do about each container, and carries that out: network namespace,
 * image, create, start (and postStart), restart after backoff, kill (preStop first). Each pod has
 * its own worker, so one slow image pull never holds up another pod.
 *
 * Lifecycle: made for a pod bound to the node (adopting the runtime's containers of an earlier
 * agent), update() with each new spec, terminate() once the pod is being deleted, deleted or
 * unbound: runs the termination sequence (termination-plan.ts), which stops and removes its
 * containers, network namespace and cgroup; `finished` resolves then.
 */
export class PodWorker {
  private readonly records = new Map<string, ContainerRecord>();
  private readonly unwatch = new Map<string, () => void>();
  private netnsPath: string | undefined;
  private ipc: PodIpcPaths | undefined;
  private podIP: string | undefined;
  /** The pod's user namespace: decided once, before anything of the pod is made. */
  private ids: PodIds | undefined;
  private readonly probes: PodProbes;
  private readonly volumes: PodVolumeState;
  /** Stops the calls for changes of the ConfigMaps and Secrets the pod's volumes use. */
  private readonly unwatchConfig: () => void;
  private terminating = false;
  private terminationMode: TerminationMode = 'gone';
  /** Set once the termination sequence has begun. */
  private termination: TerminationPlan | undefined;
  /** Torn down: nothing runs any more. */
  private done = false;
  private dirty = false;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private lastStatus: PodStatus | undefined;
  /**
   * Adopted from the state directory, whose copy of the status is older than what this node
   * last reported: nothing is reported until the control plane's copy arrives, else a restarted
   * agent would report its ready pods unready until their probes pass again (endpoints flap).
   */
  private awaitingReportedStatus: boolean;
  /** When the agent admitted the pod (status.startTime). */
  readonly startTime: string;
  private resolveFinished!: () => void;
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve));

  /**
   * @param adopted the containers of an earlier agent, by container name, for a pod adopted from
   *   the state directory (empty when none of them is left); undefined for a pod new to the node
   * @param persisted resolves once the pod's state file is written: no container is made before
   */
  constructor(private pod: Pod, private readonly deps: PodWorkerDeps, adopted: Map<string, RuntimeContainer[]> | undefined, private readonly persisted: Promise<void> = Promise.resolve()) {
    this.startTime = pod.status?.startTime ?? apiTimestamp();
    this.lastStatus = pod.status;
    this.awaitingReportedStatus = adopted !== undefined;
    this.probes = new PodProbes(deps.probe, {
      resultChanged: (container, kind, result, instanceId) => {
        if (this.terminating) return;
        if (kind !== 'readiness' && result === 'failure') {
          // Decided by the next sync: a kill, then a restart under restartPolicy and the back-off.
          this.recordOf(container).unhealthy = { id: instanceId, probe: kind };
          return this.kick();
        }
        // A sidecar that passed its startup probe lets the next init container start: a sync decides.
        if (kind === 'startup' && result === 'success' && sidecars(this.pod).some((c) => c.name === container)) return this.kick();
        // Any other verdict changes status only: nothing to converge, no runtime call.
        this.reportStatus();
      },
      unhealthy: (container, _kind, message) => this.deps.events.pod(this.pod, 'Warning', 'Unhealthy', message, containerFieldPath(this.pod, container)),
    });
    this.volumes = new PodVolumeState(deps.volumes, deps.events);
    // A changed ConfigMap or Secret is rewritten into the pod's volumes by the next sync.
    this.unwatchConfig = deps.volumes.watch(() => this.pod, () => this.kick());
    for (const [name, instances] of adopted ?? []) {
      const rec = newRecord(name);
      [rec.current, rec.previous] = instances;
      this.records.set(name, rec);
    }
  }

  get uid(): string {
    return this.pod.metadata.uid ?? '';
  }

  get spec(): Pod {
    return this.pod;
  }

  /** The runtime id of a container's current (or, with `previous`, earlier) instance. */
  instanceId(container: string, previous: boolean): string | undefined {
    const rec = this.records.get(container);
    return (previous ? rec?.previous : rec?.current)?.id;
  }

  /** Why container `name` has no instance yet, as last reported (PodInitializing, ContainerCreating…), if it waits. */
  waitingReason(name: string): string | undefined {
    const status = this.lastStatus;
    return [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])].find((s) => s.name === name)?.state?.waiting?.reason;
  }

  /** Every instance this worker knows of, to tell them from orphans. */
  knownIds(): string[] {
    return [...this.records.values()].flatMap((r) => [r.current?.id, r.previous?.id]).filter((id): id is string => id !== undefined);
  }

  update(pod: Pod): void {
    const before = this.pod;
    this.pod = pod;
    if (this.termination) this.termination.deadline = shortenedDeadline(this.termination, pod);
    if (pod.metadata.deletionTimestamp) {
      // terminate() follows: no sync in between, which could still start a container.
      if (this.awaitingReportedStatus) [this.awaitingReportedStatus, this.lastStatus] = [false, pod.status];
      return;
    }
    if (this.awaitingReportedStatus) {
      this.awaitingReportedStatus = false;
      this.lastStatus = pod.status;
      // Probers started from the state file's status begin unready: they start again from the reported one.
      this.probes.stop();
      this.kick();
      return;
    }
    // Most updates are the echo of this worker's own status report: nothing to converge, and a
    // sync costs a runtime command per container.
    // Labels and annotations count too: downwardAPI volumes show them.
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    if (same(before.spec, pod.spec) && same(before.metadata.labels, pod.metadata.labels) && same(before.metadata.annotations, pod.metadata.annotations) && before.metadata.deletionTimestamp === pod.metadata.deletionTimestamp) return;
    this.kick();
  }

  /** terminate ends the pod: `graceful` for a pod being deleted (drain wait, FinishPodTermination), `gone` for one already deleted or unbound. */
  terminate(mode: TerminationMode = 'gone'): Promise<void> {
    if (!this.terminating) this.terminationMode = mode;
    this.terminating = true;
    this.kick();
    return this.finished;
  }

  /** kick asks for a sync as soon as the running one (if any) is done. */
  kick(): void {
    if (this.done) return;
    this.dirty = true;
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      this.wakeAt = Date.now() + RESYNC_MS;
      try {
        if (this.terminating) {
          await this.tearDown();
          this.done = true;
          clearTimeout(this.timer);
          this.resolveFinished();
          return;
        }
        await this.sync();
      } catch (err) {
        this.deps.logger.warn('pod sync failed; retrying', { pod: this.label(), error: String(err) });
        this.wakeAt = Math.min(this.wakeAt, Date.now() + 1_000);
        if (!this.terminating) this.reportStatus(); // e.g. still ContainerCreating while the network namespace fails
      }
    }
    this.running = false;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), Math.max(0, this.wakeAt - Date.now()));
  }

  private async sync(): Promise<void> {
    await this.persisted;
    this.ids ??= await podIds(this.pod, this.deps.idRanges, this.deps.events);
    if (this.ids.kind === 'failed') return this.reportStatus();
    if (!this.netnsPath) await this.setUpNetwork();
    this.ipc ??= await this.setUpIpc();
    const specs = allContainers(this.pod);
    for (const spec of specs) {
      const rec = this.recordOf(spec.name);
      if (rec.current) rec.current = await inspectIfPresent(this.deps.runtime, rec.current.id);
    }
    // A sidecar with a startup probe lets the next init container start once the probe passed.
    for (const spec of sidecars(this.pod)) {
      const rec = this.recordOf(spec.name);
      rec.startupPassed = spec.startupProbe && rec.current ? this.probes.startupSucceeded(rec.current.id) : undefined;
    }
    if (await this.volumes.holdsStarts(this.volumeSync())) return this.reportStatus();
    for (const decision of decidePod({ pod: this.pod, containers: this.records, now: Date.now(), terminating: false })) {
      const rec = this.recordOf(decision.name);
      rec.restarts = decision.next;
      const spec = specs.find((c) => c.name === decision.name);
      if (spec) await this.act(spec, rec, decision.action);
      this.followExit(rec);
    }
    this.probes.sync(probedContainers(this.pod, this.records, this.lastStatus), { ...(this.podIP ? { podIP: this.podIP } : {}), netnsPath: this.netnsPath });
    this.reportStatus();
  }

  /** What the pod's volumes need of this worker for one sync (PodVolumeState.holdsStarts). */
  private volumeSync(): SyncContext {
    return {
      pod: this.pod,
      records: this.records,
      facts: async () => ({ hostIP: this.deps.hostIP, podIP: this.podIP, allocatable: this.deps.allocatable ? await this.deps.allocatable() : { cpu: String(cpus().length), memory: String(totalmem()) } }),
      kill: async (name, id) => {
        this.recordOf(name).current = await this.stop(this.pod.spec.containers.find((c) => c.name === name), name, id, Date.now());
      },
      wakeIn: (ms) => this.wakeIn(ms),
    };
  }

  /** setUpNetwork makes and attaches the pod's network namespace; no container starts before (they join it). */
  private async setUpNetwork(): Promise<void> {
    const { metadata } = this.pod;
    try {
      const attached = await this.deps.network.setUp({ uid: this.uid, namespace: metadata.namespace ?? 'default', name: metadata.name, portMappings: portMappingsOf(this.pod) });
      this.podIP = attached.podIP;
      this.netnsPath = attached.netnsPath;
    } catch (err) {
      this.deps.events.pod(this.pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  /** setUpIpc makes the pod's IPC namespace and /dev/shm; no container starts before (they join them). */
  private async setUpIpc(): Promise<PodIpcPaths> {
    try {
      return await this.deps.ipc.setUp(this.uid);
    } catch (err) {
      this.deps.events.pod(this.pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  /** act carries out one decision (pod-decision.ts) about container `spec`. */
  private async act(spec: Container, rec: ContainerRecord, action: ContainerAction): Promise<void> {
    const field = containerFieldPath(this.pod, spec.name);
    switch (action.kind) {
      case 'none':
        return;
      case 'wait':
        if (action.reason === 'ImagePullBackOff') {
          const since = rec.restarts.retry?.since ?? action.until;
          rec.waiting = waitingInPullBackOff(rec.waiting, Date.now() >= since + (action.until - since) / 2);
        }
        return this.wakeBy(action.until);
      case 'resume':
        rec.current = await this.deps.runtime.start(action.id);
        this.lookAgainIfEnded(rec.current);
        return;
      case 'restart':
        if (action.delayMs === 0) return startInstance(this.startContext(), spec, rec, action.instance);
        this.deps.events.pod(this.pod, 'Warning', 'BackOff', `Back-off restarting failed container ${spec.name} in pod ${this.label()}`, field);
        return this.wakeIn(action.delayMs);
      case 'kill':
        this.deps.events.pod(this.pod, 'Normal', 'Killing', killMessage(spec.name, action.reason), field);
        rec.current = await this.stop(spec, spec.name, action.id, Date.now() + action.gracePeriodMs);
        if (action.thenStart !== undefined) await startInstance(this.startContext(), spec, rec, action.thenStart);
        return;
      case 'start':
        return startInstance(this.startContext(), spec, rec, action.instance);
    }
  }

  private startContext(): StartContext {
    return {
      deps: this.deps,
      pod: this.pod,
      uid: this.uid,
      label: this.label(),
      netnsPath: this.netnsPath,
      ...(this.ipc ? { ipc: this.ipc } : {}),
      ...(this.ids?.kind === 'range' ? { idRange: this.ids.range } : {}),
      podIP: this.podIP,
      target: (id) => this.target(id),
      reportStatus: () => this.reportStatus(),
      wakeIn: (ms) => this.wakeIn(ms),
      wakeBy: (at) => this.wakeBy(at),
      stop: (spec, name, id, deadline) => this.stop(spec, name, id, deadline),
      removeInstance: (id) => this.removeInstance(id),
      lookAgainIfEnded: (instance) => this.lookAgainIfEnded(instance),
    };
  }

  private reportStatus(): void {
    if (this.awaitingReportedStatus) return;
    // A terminating (or evicted) pod restarts nothing: its ended containers show as terminated, not as waiting for a restart.
    const evicted = this.volumes.evicted;
    const failed = this.ids?.kind === 'failed' ? this.ids : evicted !== undefined ? { reason: 'Evicted', message: evicted } : undefined;
    const views = podViews(this.pod, this.records, this.probes, this.label(), this.terminating || failed !== undefined);
    const observed = { hostIP: this.deps.hostIP, ...(this.podIP ? { podIP: this.podIP } : {}), startTime: this.startTime, ...views };
    const computed = computePodStatus(this.pod, observed, this.lastStatus, apiTimestamp());
    const status: PodStatus = failed === undefined ? computed : { ...computed, phase: 'Failed', reason: failed.reason, message: failed.message };
    this.lastStatus = status;
    this.deps.status.report({ namespace: this.pod.metadata.namespace ?? 'default', name: this.pod.metadata.name, uid: this.uid }, status);
  }

  /** tearDown runs the termination sequence (termination-plan.ts); one retried after a failed step keeps its plan and deadline. */
  private async tearDown(): Promise<void> {
    this.probes.stop();
    const sidecarNames = new Set(sidecars(this.pod).map((c) => c.name));
    // In spec order, so that sidecars stop in the reverse of the order they started in.
    const order = new Map(allContainers(this.pod).map((c, i) => [c.name, i]));
    const running = decidePod({ pod: this.pod, containers: this.records, now: Date.now(), terminating: true })
      .flatMap(({ name, action }) => (action.kind === 'kill' ? [{ name, id: action.id, sidecar: sidecarNames.has(name) }] : []))
      .sort((a, b) => (order.get(a.name) ?? order.size) - (order.get(b.name) ?? order.size));
    const plan = (this.termination ??= planTermination(this.pod, this.terminationMode, running.length, Date.now()));
    // A pod whose object is gone has no status to report; a terminating one keeps reporting its containers' ends.
    if (plan.mode === 'gone') this.deps.status.forget(this.uid);
    const ref = { namespace: this.pod.metadata.namespace ?? 'default', name: this.pod.metadata.name, uid: this.uid };
    const steps = { running, stop: (c: RunningInstance, deadline: number) => this.stopForTermination(c, deadline), release: () => this.release(), settleAccepts: (until: number) => this.settleAccepts(running, until) };
    await runTermination(ref, plan, steps, this.deps.control, this.deps.logger);
    this.deps.status.forget(this.uid);
  }

  /** settleAccepts waits for connections queued before the drain to be accepted (accept-queues.ts): all containers share the pod's network namespace, so one pid tells. */
  private async settleAccepts(running: RunningInstance[], until: number): Promise<void> {
    const first = running[0];
    if (!first) return;
    const pid = await this.deps.runtime.inspect(first.id).then((s) => s.pid, () => undefined);
    if (pid === undefined) return;
    const settled = await waitAcceptQueuesEmpty(pid, until);
    if (!settled) this.deps.logger.warn('connections still queued on the pod\'s listening sockets; stopping it anyway', { pod: this.label() });
  }

  private async stopForTermination({ name, id }: RunningInstance, deadline: number): Promise<void> {
    this.deps.events.pod(this.pod, 'Normal', 'Killing', killMessage(name, 'PodTerminating'), containerFieldPath(this.pod, name));
    try {
      this.recordOf(name).current = await this.stop(allContainers(this.pod).find((c) => c.name === name), name, id, deadline);
    } catch (err) {
      this.deps.logger.warn('stopping a container failed; removing it', { pod: this.label(), container: name, error: String(err) });
    }
    if (this.terminationMode === 'graceful') this.reportStatus();
  }

  /** release removes the pod's containers, then its network namespace, cgroup and volumes. */
  private async release(): Promise<void> {
    for (const stop of this.unwatch.values()) stop();
    this.unwatch.clear();
    for (const rec of this.records.values()) for (const id of [rec.current?.id, rec.previous?.id]) if (id) await this.removeInstance(id);
    await this.deps.network.tearDown(this.uid);
    await this.deps.ipc.tearDown(this.uid);
    await removePodCgroup(this.deps.cgroupParentOf(this.uid));
    this.unwatchConfig();
    await this.deps.volumes.tearDown(this.uid);
    // Only now no process of the pod is left to hold ids of its range.
    await this.deps.idRanges.release(this.uid);
  }

  /** stop stops one running instance: preStop, its stop signal, SIGKILL at `deadline` (stopContainer). */
  private stop(spec: Container | undefined, name: string, id: string, deadline: number): Promise<RuntimeContainer> {
    const deps = {
      runtime: this.deps.runtime,
      runAction: this.deps.runAction,
      preStopFailed: (container: string, message: string) => this.deps.events.pod(this.pod, 'Warning', 'FailedPreStopHook', message, `spec.containers{${container}}`),
    };
    return stopContainer(deps, { ...(spec ? { spec } : {}), name, id, target: this.target(id), deadline, podLabel: this.label() });
  }

  /** target is how a probe or hook reaches instance `id`. */
  private target(id: string): ProbeTarget {
    return { containerId: id, ...(this.podIP ? { podIP: this.podIP } : {}), ...(this.netnsPath ? { netnsPath: this.netnsPath } : {}) };
  }

  private removeInstance(id: string): Promise<void> {
    return removeIfPresent(this.deps.runtime, id);
  }

  private recordOf(name: string): ContainerRecord {
    let rec = this.records.get(name);
    if (!rec) this.records.set(name, (rec = newRecord(name)));
    return rec;
  }

  /** followExit keeps exactly the container's live instance (created or running) watched: its exit wakes the worker. */
  private followExit(rec: ContainerRecord): void {
    const live = rec.current && rec.current.state !== 'exited' ? rec.current.id : undefined;
    for (const id of [rec.current?.id, rec.previous?.id]) {
      if (id === undefined || id === live) continue;
      this.unwatch.get(id)?.();
      this.unwatch.delete(id);
    }
    if (live !== undefined && !this.unwatch.has(live)) this.unwatch.set(live, this.deps.runtime.watchExit(live, () => this.kick()));
  }

  /**
   * lookAgainIfEnded syncs once more when an instance had already ended by the time its start
   * returned: followExit only watches instances that run, so nothing else would wake the
   * worker for that exit before the resync (a container that exits in a few milliseconds).
   */
  private lookAgainIfEnded(instance: RuntimeContainer): void {
    if (instance.state === 'exited') this.kick();
  }

  private wakeIn(ms: number): void {
    this.wakeBy(Date.now() + ms);
  }

  /** wakeBy makes the next sync happen by `epochMs` at the latest. */
  private wakeBy(epochMs: number): void {
    this.wakeAt = Math.min(this.wakeAt, Math.max(Date.now(), epochMs));
  }

  private label(): string {
    return `${this.pod.metadata.name}_${this.pod.metadata.namespace ?? 'default'}(${this.uid})`;
  }
}
