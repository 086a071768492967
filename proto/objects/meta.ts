/** ObjectMeta is the metadata every Berth object carries, with Kubernetes' field names. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  /** The etcd mod_revision of the object's key, as a decimal string. Never stored, always derived. */
  resourceVersion?: string;
  /** Bumped by the API only when `spec` changes. */
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  /** Seconds the object has to stop once deletionTimestamp is set (pods). Set by the API. */
  deletionGracePeriodSeconds?: number;
  ownerReferences?: OwnerReference[];
}

/** OwnerReference names the object that owns this one (a ReplicaSet owns its pods). */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** LabelSelectorRequirement is one `matchExpressions` entry. */
export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** LabelSelector is used by Deployments and ReplicaSets to find their pods. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** Condition is one entry of an object's `status.conditions`. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
  lastHeartbeatTime?: string;
  lastProbeTime?: string | null;
}

/** BerthObject is the shape shared by every object: what generic code (store, CLI) may rely on. */
export interface BerthObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
}

/** IntOrString is Kubernetes' int-or-string: a port number or name, a count or a percentage. */
export type IntOrString = number | string;
