import type { Container, RestartPolicy } from '../../proto/objects/pod.js';
import type { PulledImage } from '../image/index.js';
import type { ContainerStatus as RuntimeContainer } from '../runtime/index.js';
import { containerIdUri, instanceOf } from './container-naming.js';
import { imageId } from './image-puller.js';
import { newRestartState, shouldRestart, type ContainerFacts } from './pod-decision.js';
import type { ContainerView, TerminatedView } from './pod-status.js';

/**
 * ContainerRecord is used by a pod worker for what it knows of one container of its pod: the
 * current runtime instance, the one before (kept for lastState and `logs --previous`), the
 * resolved image, and the restart state its decisions carry (pod-decision.ts).
 */
export interface ContainerRecord extends ContainerFacts {
  name: string;
  current?: RuntimeContainer;
  previous?: RuntimeContainer;
  /** The pulled image for `imageFor` (the spec's image); restarts reuse it without a registry round trip. */
  image?: PulledImage;
  imageFor?: string;
  /** Why there is no running instance, when that is not a crash: ContainerCreating, ErrImagePull… */
  waiting?: { reason: string; message?: string };
  pullFailures: number;
}

export function newRecord(name: string): ContainerRecord {
  return { name, pullFailures: 0, restarts: newRestartState() };
}

function terminated(c: RuntimeContainer): TerminatedView {
  return {
    exitCode: c.exitCode ?? 255,
    oomKilled: c.oomKilled,
    ...(c.startedAt ? { startedAt: c.startedAt } : {}),
    ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
    containerID: containerIdUri(c.id),
  };
}

/**
 * toView turns a record into the ContainerView pod-status.ts shapes. Pure. `creating` is the
 * reason a container waits with before its first instance runs (PodInitializing in a pod with
 * init containers, as the kubelet says).
 */
export function toView(spec: Container, rec: ContainerRecord, policy: RestartPolicy | undefined, podLabel: string, creating = 'ContainerCreating'): ContainerView {
  const cur = rec.current;
  const image = rec.image;
  const waiting = rec.waiting?.reason === 'ContainerCreating' ? { ...rec.waiting, reason: creating } : rec.waiting;
  const view: ContainerView = {
    name: spec.name,
    image: spec.image,
    imageID: image ? imageId(image.reference, image.digest) : cur ? imageId(cur.image, cur.imageDigest) : '',
    restartCount: cur ? Math.max(0, instanceOf(cur)) : 0,
    state: waiting ? { kind: 'waiting', ...waiting } : { kind: 'waiting', reason: creating },
    finished: false,
    everStarted: Boolean(cur?.startedAt ?? rec.previous?.startedAt),
  };
  if (cur) view.containerID = containerIdUri(cur.id);
  if (rec.previous?.state === 'exited') view.lastTerminated = terminated(rec.previous);
  if (cur?.state === 'running') {
    view.state = { kind: 'running', ...(cur.startedAt ? { startedAt: cur.startedAt } : {}) };
  } else if (cur?.state === 'exited') {
    const t = terminated(cur);
    if (!shouldRestart(policy, t.exitCode)) {
      view.state = { kind: 'terminated', ...t };
      view.finished = true;
    } else {
      view.lastTerminated = t;
      if (waiting) view.state = { kind: 'waiting', ...waiting };
      else if (rec.restarts.backoffMs) {
        view.state = { kind: 'waiting', reason: 'CrashLoopBackOff', message: `back-off ${formatMs(rec.restarts.backoffMs)} restarting failed container=${spec.name} pod=${podLabel}` };
      } else view.state = { kind: 'terminated', ...t };
    }
  }
  return view;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}
