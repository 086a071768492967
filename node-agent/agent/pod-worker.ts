import type { Logger } from 'winston';
import type { Container, Pod, PodStatus } from '../../proto/objects/pod.js';
import { apiTimestamp } from '../../proto/time.js';
import type { ProbeAttempt } from '../probes/container-prober.js';
import type { ProbeTarget } from '../probes/probe-checks.js';
import { PodProbes } from '../probes/pod-probes.js';
import { ContainerNotFoundError, type ContainerStatus as RuntimeContainer, type Runtime } from '../runtime/index.js';
import { createAndStartInstance } from './container-create.js';
import type { ContainerExtras } from './container-extras.js';
import { ensureContainerImage } from './container-image.js';
import { containerId, containerLabels } from './container-naming.js';
import { newRecord, toView, type ContainerRecord } from './container-record.js';
import type { EventReporter } from './event-reporter.js';
import type { ImagePuller } from './image-puller.js';
import { removePodCgroup } from './pod-cgroup.js';
import { stopContainer } from './container-stop.js';
import { POST_START_TIMEOUT_MS, runHook, type RunAction } from './lifecycle-hooks.js';
import { afterCreateError, afterStart, decidePod, type ContainerAction } from './pod-decision.js';
import { runTermination, type TerminationControl } from './pod-termination.js';
import { planTermination, shortenedDeadline, type TerminationMode, type TerminationPlan } from './termination-plan.js';
import { portMappingsOf } from '../network/cni-config.js';
import type { PodNetwork } from '../network/pod-network.js';
import { probedContainers } from './pod-probing.js';
import { computePodStatus } from './pod-status.js';
import type { StatusReporter } from './status-reporter.js';

/** PodWorkerDeps is what every pod worker of an agent shares. */
export interface PodWorkerDeps {
  runtime: Runtime;
  images: ImagePuller;
  network: PodNetwork;
  status: StatusReporter;
  events: EventReporter;
  logger: Logger;
  hostIP: string;
  /** The pod's cgroup parent, from the node's and the pod's uid. */
  cgroupParentOf: (uid: string) => string;
  /** What containers get besides their spec: resolv.conf, Service environment variables. */
  extras: ContainerExtras;
  /** One attempt of a container's probe (ProbeChecker.check). */
  probe: ProbeAttempt;
  /** One exec or httpGet of a lifecycle hook (ProbeChecker.run). */
  runAction: RunAction;
  /** The control plane's side of a graceful termination: the drain wait and FinishPodTermination. */
  control: TerminationControl;
}

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
  private podIP: string | undefined;
  private readonly probes: PodProbes;
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
        // Any other verdict changes status only: nothing to converge, no runtime call.
        this.reportStatus();
      },
      unhealthy: (container, _kind, message) => this.deps.events.pod(this.pod, 'Warning', 'Unhealthy', message, `spec.containers{${container}}`),
    });
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
    if (JSON.stringify(before.spec) === JSON.stringify(pod.spec) && before.metadata.deletionTimestamp === pod.metadata.deletionTimestamp) return;
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
    if (!this.netnsPath) await this.setUpNetwork();
    for (const spec of this.pod.spec.containers) {
      const rec = this.recordOf(spec.name);
      if (rec.current) rec.current = await this.inspect(rec.current.id);
    }
    for (const decision of decidePod({ pod: this.pod, containers: this.records, now: Date.now(), terminating: false })) {
      const rec = this.recordOf(decision.name);
      rec.restarts = decision.next;
      const spec = this.pod.spec.containers.find((c) => c.name === decision.name);
      if (spec) await this.act(spec, rec, decision.action);
      this.followExit(rec);
    }
    this.probes.sync(probedContainers(this.pod, this.records, this.lastStatus), { ...(this.podIP ? { podIP: this.podIP } : {}), netnsPath: this.netnsPath });
    this.reportStatus();
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

  /** act carries out one decision (pod-decision.ts) about container `spec`. */
  private async act(spec: Container, rec: ContainerRecord, action: ContainerAction): Promise<void> {
    const field = `spec.containers{${spec.name}}`;
    switch (action.kind) {
      case 'none':
        return;
      case 'wait':
        return this.wakeBy(action.until);
      case 'resume':
        rec.current = await this.deps.runtime.start(action.id);
        this.lookAgainIfEnded(rec.current);
        return;
      case 'restart':
        if (action.delayMs === 0) return this.startInstance(spec, rec, action.instance);
        this.deps.events.pod(this.pod, 'Warning', 'BackOff', `Back-off restarting failed container ${spec.name} in pod ${this.label()}`, field);
        return this.wakeIn(action.delayMs);
      case 'kill':
        this.deps.events.pod(this.pod, 'Normal', 'Killing', killMessage(spec.name, action), field);
        rec.current = await this.stop(spec, spec.name, action.id, Date.now() + action.gracePeriodMs);
        if (action.thenStart !== undefined) await this.startInstance(spec, rec, action.thenStart);
        return;
      case 'start':
        return this.startInstance(spec, rec, action.instance);
    }
  }

  private async startInstance(spec: Container, rec: ContainerRecord, instance: number): Promise<void> {
    const image = await ensureContainerImage(
      { images: this.deps.images, events: this.deps.events, pod: this.pod, reportStatus: () => this.reportStatus(), wakeIn: (ms) => this.wakeIn(ms) },
      spec,
      rec,
    );
    if (!image) return;
    const id = containerId(this.uid, spec.name, instance);
    const field = `spec.containers{${spec.name}}`;
    let started: RuntimeContainer;
    try {
      // One runtime step for create and start: each low-level command costs the agent a fork.
      started = await this.createAndStart(id, spec, image, instance);
    } catch (err) {
      rec.waiting = { reason: 'CreateContainerError', message: err instanceof Error ? err.message : String(err) };
      rec.restarts = afterCreateError(rec.restarts, Date.now());
      this.deps.events.pod(this.pod, 'Warning', 'Failed', `Error: ${rec.waiting.message}`, field);
      if (rec.restarts.retry) this.wakeBy(rec.restarts.retry.at);
      return;
    }
    this.deps.events.pod(this.pod, 'Normal', 'Created', `Created container ${spec.name}`, field);
    this.deps.events.pod(this.pod, 'Normal', 'Started', `Started container ${spec.name}`, field);
    const older = rec.previous;
    [rec.previous, rec.current] = [rec.current ?? rec.previous, started];
    rec.waiting = undefined;
    rec.restarts = afterStart(rec.restarts);
    const postStart = spec.lifecycle?.postStart;
    if (postStart && started.state === 'running') {
      const hook = await runHook(this.deps.runAction, postStart, spec, this.target(started.id), POST_START_TIMEOUT_MS, this.label());
      if (!hook.ok) {
        this.deps.events.pod(this.pod, 'Warning', 'FailedPostStartHook', hook.message, field);
        // Killed as the kubelet does (preStop included); its exit then goes through restartPolicy and the back-off.
        rec.current = await this.stop(spec, spec.name, started.id, Date.now() + (this.pod.spec.terminationGracePeriodSeconds ?? 30) * 1000);
      }
    }
    this.lookAgainIfEnded(rec.current ?? started);
    // Only the instance before the current one is kept (for lastState and logs --previous).
    if (older && older.id !== rec.previous?.id) await this.removeInstance(older.id);
  }

  private async createAndStart(id: string, spec: Container, image: NonNullable<ContainerRecord['image']>, instance: number): Promise<RuntimeContainer> {
    const extras = await this.deps.extras.forContainer(this.pod);
    for (const w of extras.warnings) this.deps.events.pod(this.pod, 'Warning', w.reason, w.message);
    return createAndStartInstance(this.deps.runtime, {
      id,
      container: extras.env.length > 0 ? { ...spec, env: [...extras.env, ...(spec.env ?? [])] } : spec,
      image,
      pod: {
        hostname: this.pod.spec.hostname ?? this.pod.metadata.name,
        ...(this.netnsPath ? { netnsPath: this.netnsPath } : {}),
        cgroupParent: this.deps.cgroupParentOf(this.uid),
        ...(this.pod.spec.securityContext ? { securityContext: this.pod.spec.securityContext } : {}),
        ...(extras.mounts.length > 0 ? { mounts: extras.mounts } : {}),
      },
      labels: containerLabels({ uid: this.uid, namespace: this.pod.metadata.namespace ?? 'default', name: this.pod.metadata.name }, spec.name, instance),
    });
  }

  private reportStatus(): void {
    if (this.awaitingReportedStatus) return;
    // A terminating pod restarts nothing: its ended containers show as terminated, not as waiting for a restart.
    const policy = this.terminating ? 'Never' : this.pod.spec.restartPolicy;
    const views = this.pod.spec.containers.map((spec) => {
      const readiness = this.probes.result(spec, 'readiness');
      const rec = this.records.get(spec.name) ?? newRecord(spec.name);
      const startupPassed = spec.startupProbe && rec.current ? this.probes.startupSucceeded(rec.current.id) : undefined;
      return { ...toView(spec, rec, policy, this.label()), ...(readiness ? { readiness } : {}), ...(startupPassed !== undefined ? { startupPassed } : {}) };
    });
    const status = computePodStatus(this.pod, { hostIP: this.deps.hostIP, ...(this.podIP ? { podIP: this.podIP } : {}), startTime: this.startTime, containers: views }, this.lastStatus, apiTimestamp());
    this.lastStatus = status;
    this.deps.status.report({ namespace: this.pod.metadata.namespace ?? 'default', name: this.pod.metadata.name, uid: this.uid }, status);
  }

  /** tearDown runs the termination sequence once (termination-plan.ts); after a failed step it goes on where it stopped. */
  private async tearDown(): Promise<void> {
    this.probes.stop();
    const kills = decidePod({ pod: this.pod, containers: this.records, now: Date.now(), terminating: true }).filter((d) => d.action.kind === 'kill');
    const plan = (this.termination ??= planTermination(this.pod, this.terminationMode, kills.length, Date.now()));
    // A pod whose object is gone has no status to report; a terminating one keeps reporting its containers' ends.
    if (plan.mode === 'gone') this.deps.status.forget(this.uid);
    const ref = { namespace: this.pod.metadata.namespace ?? 'default', name: this.pod.metadata.name, uid: this.uid };
    await runTermination(ref, plan, { stopContainers: () => this.stopAll(kills, plan), release: () => this.release() }, this.deps.control, this.deps.logger);
    this.deps.status.forget(this.uid);
  }

  /** stopAll stops every running container at once, each with its preStop hook, all by the plan's deadline. */
  private async stopAll(kills: Array<{ name: string; action: ContainerAction }>, plan: TerminationPlan): Promise<void> {
    await Promise.all(
      kills.map(async ({ name, action }) => {
        if (action.kind !== 'kill') return;
        const rec = this.recordOf(name);
        this.deps.events.pod(this.pod, 'Normal', 'Killing', killMessage(name, action), `spec.containers{${name}}`);
        const spec = this.pod.spec.containers.find((c) => c.name === name);
        try {
          rec.current = await this.stop(spec, name, action.id, plan.deadline);
        } catch (err) {
          this.deps.logger.warn('stopping a container failed; removing it', { pod: this.label(), container: name, error: String(err) });
        }
        if (plan.mode === 'graceful') this.reportStatus();
      }),
    );
  }

  /** release removes the pod's containers, then its network namespace and cgroup. */
  private async release(): Promise<void> {
    for (const stop of this.unwatch.values()) stop();
    this.unwatch.clear();
    for (const rec of this.records.values()) for (const id of [rec.current?.id, rec.previous?.id]) if (id) await this.removeInstance(id);
    await this.deps.network.tearDown(this.uid);
    await removePodCgroup(this.deps.cgroupParentOf(this.uid));
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

  private async removeInstance(id: string): Promise<void> {
    try {
      await this.deps.runtime.remove(id, { force: true });
    } catch (err) {
      if (!(err instanceof ContainerNotFoundError)) throw err;
    }
  }

  private async inspect(id: string): Promise<RuntimeContainer | undefined> {
    try {
      return await this.deps.runtime.inspect(id);
    } catch (err) {
      if (err instanceof ContainerNotFoundError) return undefined;
      throw err;
    }
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

/** killMessage is the Killing event's text, in Kubernetes' words. */
function killMessage(container: string, kill: Extract<ContainerAction, { kind: 'kill' }>): string {
  switch (kill.reason) {
    case 'ImageChanged':
      return `Container ${container} definition changed, will be restarted`;
    case 'LivenessProbeFailed':
      return `Container ${container} failed liveness probe, will be restarted`;
    case 'StartupProbeFailed':
      return `Container ${container} failed startup probe, will be restarted`;
    case 'PodTerminating':
      return `Stopping container ${container}`;
  }
}
