import type { BerthObject, Condition, IntOrString, LabelSelector } from './meta.js';
import type { PodTemplateSpec } from './pod.js';

/** RollingUpdateDeployment bounds a rolling update: pods above spec.replicas, and replicas below it that may be unavailable. */
export interface RollingUpdateDeployment {
  maxSurge?: IntOrString;
  maxUnavailable?: IntOrString;
}

/** DeploymentStrategy says how a Deployment replaces the pods of an old template with the new one. */
export interface DeploymentStrategy {
  type?: 'RollingUpdate' | 'Recreate';
  rollingUpdate?: RollingUpdateDeployment;
}

/**
 * DeploymentPodReplacementPolicy says when a Deployment may start pods in place of terminating
 * ones: only once they are gone (TerminationComplete, Berth's default, so terminating pods count
 * toward maxSurge) or as soon as they start terminating (TerminationStarted).
 */
export type DeploymentPodReplacementPolicy = 'TerminationStarted' | 'TerminationComplete';

/** DeploymentSpec is what a user declares of a Deployment. */
export interface DeploymentSpec {
  replicas?: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
  strategy?: DeploymentStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  paused?: boolean;
  podReplacementPolicy?: DeploymentPodReplacementPolicy;
}

/** DeploymentStatus is what the Deployment controller observed, summed over the Deployment's ReplicaSets. */
export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  /** Pods with a deletionTimestamp that have not finished (not Succeeded or Failed). */
  terminatingReplicas?: number;
  conditions?: Condition[];
  collisionCount?: number;
}

/** Deployment declares a replicated, rolling-updatable set of pods (apps/v1). */
export interface Deployment extends BerthObject {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  spec: DeploymentSpec;
  status?: DeploymentStatus;
}

/** ReplicaSetSpec is the pod template a ReplicaSet stamps out and how many copies it keeps. */
export interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
}

/** ReplicaSetStatus counts the pods a ReplicaSet controls, as its controller last saw them. */
export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  /** Pods with a deletionTimestamp that have not finished (not Succeeded or Failed); not part of `replicas`. */
  terminatingReplicas?: number;
  observedGeneration?: number;
  conditions?: Condition[];
}

/** ReplicaSet keeps a number of identical pods running (apps/v1). */
export interface ReplicaSet extends BerthObject {
  apiVersion: 'apps/v1';
  kind: 'ReplicaSet';
  spec: ReplicaSetSpec;
  status?: ReplicaSetStatus;
}
