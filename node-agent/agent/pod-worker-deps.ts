import type { Logger } from 'winston';
import type { ConfigObjects } from '../config/config-objects.js';
import type { ProbeAttempt } from '../probes/container-prober.js';
import type { Runtime } from '../runtime/index.js';
import type { PodNetwork } from '../network/pod-network.js';
import type { ContainerExtras } from './container-extras.js';
import type { EventReporter } from './event-reporter.js';
import type { ImagePuller } from './image-puller.js';
import type { PodIpc } from './pod-ipc.js';
import type { RunAction } from './lifecycle-hooks.js';
import type { TerminationControl } from './pod-termination.js';
import type { StatusReporter } from './status-reporter.js';
import type { NodeVolumes } from '../volumes/node-volumes.js';
import type { PodIdRanges } from '../userns/id-ranges.js';

/** PodWorkerDeps is what every pod worker of an agent shares. */
export interface PodWorkerDeps {
  runtime: Runtime;
  images: ImagePuller;
  network: PodNetwork;
  /** Each pod's IPC namespace and /dev/shm, shared by its containers. */
  ipc: PodIpc;
  status: StatusReporter;
  events: EventReporter;
  logger: Logger;
  hostIP: string;
  /** The node's allocatable cpu and memory, for the downward API's unset limits (the host's when absent). */
  allocatable?: () => Promise<{ cpu: string; memory: string }>;
  /** The pod's cgroup parent, from the node's and the pod's uid. */
  cgroupParentOf: (uid: string) => string;
  /** What containers get besides their spec: resolv.conf, Service environment variables. */
  extras: ContainerExtras;
  /** One attempt of a container's probe (ProbeChecker.check). */
  probe: ProbeAttempt;
  /** One exec or httpGet of a lifecycle hook (ProbeChecker.run). */
  runAction: RunAction;
  /** The volumes of the node's pods: set up before their containers, removed with the pod. */
  volumes: NodeVolumes;
  /** The control plane's side of a graceful termination: the drain wait and FinishPodTermination. */
  control: TerminationControl;
  /** The ConfigMaps and Secrets the node's pods refer to (env, envFrom, volumes). */
  configs: ConfigObjects;
  /** The host id ranges of the pods with `hostUsers: false`. */
  idRanges: PodIdRanges;
}

