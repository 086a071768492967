import type { BerthObject, Condition, IntOrString, LabelSelector } from './meta.js';
import type { PodTemplateSpec } from './pod.js';

/** RollingUpdateDaemonSet bounds a DaemonSet's rolling update: how many nodes may be without a ready pod at once. */
export interface RollingUpdateDaemonSet {
  maxUnavailable?: IntOrString;
  /** Kubernetes' surge of daemon pods; Berth accepts only 0 (it replaces a node's pod by deleting it first). */
  maxSurge?: IntOrString;
}

/** DaemonSetUpdateStrategy says how a DaemonSet replaces pods of an old template: rolling, or only when a user deletes them. */
export interface DaemonSetUpdateStrategy {
  type?: 'RollingUpdate' | 'OnDelete';
  rollingUpdate?: RollingUpdateDaemonSet;
}

/** DaemonSetSpec is what a user declares of a DaemonSet. */
export interface DaemonSetSpec {
  selector: LabelSelector;
  template: PodTemplateSpec;
  updateStrategy?: DaemonSetUpdateStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}

/** DaemonSetStatus counts the nodes a DaemonSet should run on and the pods it has there, as kubectl prints them. */
export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  conditions?: Condition[];
}

/** DaemonSet runs one copy of a pod on every eligible node (apps/v1). */
export interface DaemonSet extends BerthObject {
  apiVersion: 'apps/v1';
  kind: 'DaemonSet';
  spec: DaemonSetSpec;
  status?: DaemonSetStatus;
}
