import { cpus, totalmem } from 'node:os';
import type { Container, Pod } from '../../proto/objects/pod.js';
import { envFromVariables, skippedKeysMessage } from '../config/config-env.js';
import { ContainerConfigError } from '../config/config-error.js';
import type { ProbeTarget } from '../probes/probe-checks.js';
import type { ContainerStatus as RuntimeContainer } from '../runtime/index.js';
import { createAndStartInstance } from './container-create.js';
import { ownVariables } from './downward-env.js';
import { expandContainer } from './env-expansion.js';
import { ensureContainerImage } from './container-image.js';
import { containerId, containerLabels } from './container-naming.js';
import { containerFieldPath } from './init-progress.js';
import type { ContainerRecord } from './container-record.js';
import { POST_START_TIMEOUT_MS, runHook } from './lifecycle-hooks.js';
import { afterCreateError, afterStart } from './pod-decision.js';
import type { PodIpcPaths } from './pod-ipc.js';
import type { PodWorkerDeps } from './pod-worker-deps.js';
import type { IdRange } from '../userns/id-ranges.js';
import { DEFAULT_GRACE_PERIOD_SECONDS } from './termination-plan.js';

/** StartContext is used by startInstance for what it needs of its pod worker. */
export interface StartContext {
  deps: PodWorkerDeps;
  pod: Pod;
  uid: string;
  /** `name_namespace(uid)`, for hook failure messages. */
  label: string;
  netnsPath: string | undefined;
  /** The pod's IPC namespace and /dev/shm, made before any of its containers. */
  ipc?: PodIpcPaths;
  /** The pod's range of host ids when it runs in a user namespace (`hostUsers: false`). */
  idRange?: IdRange;
  /** The pod's IP, for the downward API (known once the network is set up, before any container). */
  podIP: string | undefined;
  /** How a hook reaches instance `id`. */
  target(id: string): ProbeTarget;
  reportStatus(): void;
  wakeIn(ms: number): void;
  wakeBy(epochMs: number): void;
  /** Stops a running instance: preStop, its stop signal, SIGKILL at `deadline`. */
  stop(spec: Container, name: string, id: string, deadline: number): Promise<RuntimeContainer>;
  removeInstance(id: string): Promise<void>;
  lookAgainIfEnded(instance: RuntimeContainer): void;
}

/**
 * startInstance brings up instance `instance` of container `spec`: its image (pulled if need
 * be), create and start in one runtime step, then its postStart hook. A postStart that fails
 * kills the instance (FailedPostStartHook), as the kubelet does; its exit then goes through
 * restartPolicy and the back-off like any other. A create error is retried on the back-off.
 */
export async function startInstance(ctx: StartContext, spec: Container, rec: ContainerRecord, instance: number): Promise<void> {
  const { deps, pod } = ctx;
  const image = await ensureContainerImage({ images: deps.images, events: deps.events, pod, reportStatus: () => ctx.reportStatus(), wakeIn: (ms) => ctx.wakeIn(ms) }, spec, rec);
  if (!image) return;
  const id = containerId(ctx.uid, spec.name, instance);
  const field = containerFieldPath(pod, spec.name);
  let started: RuntimeContainer;
  try {
    // One runtime step for create and start: each low-level command costs the agent a fork.
    started = await createAndStart(ctx, id, spec, image, instance);
  } catch (err) {
    // A ConfigMap or Secret not there (yet): no back-off; tried again when it changes, or at the resync.
    if (err instanceof ContainerConfigError) {
      rec.waiting = { reason: 'CreateContainerConfigError', message: err.message };
      deps.events.pod(pod, 'Warning', 'Failed', `Error: ${err.message}`, field);
      return;
    }
    rec.waiting = { reason: 'CreateContainerError', message: err instanceof Error ? err.message : String(err) };
    rec.restarts = afterCreateError(rec.restarts, Date.now());
    deps.events.pod(pod, 'Warning', 'Failed', `Error: ${rec.waiting.message}`, field);
    if (rec.restarts.retry) ctx.wakeBy(rec.restarts.retry.at);
    return;
  }
  deps.events.pod(pod, 'Normal', 'Created', `Created container ${spec.name}`, field);
  deps.events.pod(pod, 'Normal', 'Started', `Started container ${spec.name}`, field);
  const older = rec.previous;
  [rec.previous, rec.current] = [rec.current ?? rec.previous, started];
  rec.waiting = undefined;
  rec.restarts = afterStart(rec.restarts);
  const postStart = spec.lifecycle?.postStart;
  if (postStart && started.state === 'running') {
    const hook = await runHook(deps.runAction, postStart, spec, ctx.target(started.id), POST_START_TIMEOUT_MS, ctx.label);
    if (!hook.ok) {
      deps.events.pod(pod, 'Warning', 'FailedPostStartHook', hook.message, field);
      rec.current = await ctx.stop(spec, spec.name, started.id, Date.now() + (pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS) * 1000);
    }
  }
  ctx.lookAgainIfEnded(rec.current ?? started);
  // Only the instance before the current one is kept (for lastState and logs --previous).
  if (older && older.id !== rec.previous?.id) await ctx.removeInstance(older.id);
}

async function createAndStart(ctx: StartContext, id: string, spec: Container, image: NonNullable<ContainerRecord['image']>, instance: number): Promise<RuntimeContainer> {
  const { deps, pod } = ctx;
  const allocatable = deps.allocatable ? await deps.allocatable() : hostAllocatable();
  // Resolved first: a missing ConfigMap or Secret throws ContainerConfigError before anything is made.
  const fromSources = envFromVariables(pod, spec, deps.configs);
  const own = [...fromSources.variables, ...ownVariables(pod, spec, { hostIP: deps.hostIP, podIP: ctx.podIP, allocatable }, deps.configs)];
  for (const skipped of fromSources.skipped) deps.events.pod(pod, 'Warning', 'InvalidEnvironmentVariableNames', skippedKeysMessage(skipped));
  const extras = await deps.extras.forContainer(pod);
  for (const w of extras.warnings) deps.events.pod(pod, 'Warning', w.reason, w.message);
  const services = extras.env.map((e) => ({ name: e.name, value: e.value ?? '' }));
  // The runtime takes env, command and args as they are: Kubernetes' expansion happens here, as in the kubelet.
  const expanded = expandContainer(own, services, spec.command, spec.args);
  const mounts = [...extras.mounts, ...(await deps.volumes.mountsFor(pod, spec))];
  return createAndStartInstance(deps.runtime, {
    id,
    container: { ...spec, ...expanded },
    image,
    pod: {
      hostname: pod.spec.hostname ?? pod.metadata.name,
      ...(ctx.netnsPath ? { netnsPath: ctx.netnsPath } : {}),
      ...(ctx.ipc ? { ipcnsPath: ctx.ipc.ipcnsPath, shmPath: ctx.ipc.shmPath } : {}),
      ...(ctx.idRange ? { userNamespace: ctx.idRange } : {}),
      cgroupParent: deps.cgroupParentOf(ctx.uid),
      ...(pod.spec.securityContext ? { securityContext: pod.spec.securityContext } : {}),
      ...(mounts.length > 0 ? { mounts } : {}),
    },
    labels: containerLabels({ uid: ctx.uid, namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name }, spec.name, instance),
  });
}

/** The host's cores and memory: what an unset limit stands for when the agent gave no allocatable. */
function hostAllocatable(): { cpu: string; memory: string } {
  return { cpu: String(cpus().length), memory: String(totalmem()) };
}
