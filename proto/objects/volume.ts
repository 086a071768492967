/**
 * The volumes of a pod and how its containers mount them, as Kubernetes' core/v1 types.
 * A volume has a `name` and exactly one source.
 */
import type { ObjectFieldSelector, ResourceFieldSelector } from './pod.js';

/** KeyToPath selects one key of a ConfigMap or Secret and names the file it becomes. */
export interface KeyToPath {
  key: string;
  /** Relative path of the file inside the volume; no `..` element, not absolute. */
  path: string;
  /** File mode bits (0–0777); the volume's defaultMode when absent. */
  mode?: number;
}

export interface ConfigMapVolumeSource {
  name: string;
  items?: KeyToPath[];
  /** 0–0777, default 0644. */
  defaultMode?: number;
  optional?: boolean;
}

export interface SecretVolumeSource {
  secretName: string;
  items?: KeyToPath[];
  /** 0–0777, default 0644. */
  defaultMode?: number;
  optional?: boolean;
}

export interface DownwardAPIVolumeFile {
  path: string;
  fieldRef?: ObjectFieldSelector;
  resourceFieldRef?: ResourceFieldSelector;
  mode?: number;
}

export interface DownwardAPIVolumeSource {
  items?: DownwardAPIVolumeFile[];
  defaultMode?: number;
}

export interface EmptyDirVolumeSource {
  /** '' (the node's disk) or 'Memory' (a tmpfs). */
  medium?: '' | 'Memory';
  /** A quantity; a pod whose emptyDir grows past it is evicted. */
  sizeLimit?: string | number;
}

export type HostPathType = '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';

export interface HostPathVolumeSource {
  path: string;
  type?: HostPathType;
}

/** VolumeProjection is one source of a projected volume: exactly one field. */
export interface VolumeProjection {
  configMap?: Omit<ConfigMapVolumeSource, 'defaultMode'>;
  secret?: Omit<SecretVolumeSource, 'defaultMode' | 'secretName'> & { name: string };
  downwardAPI?: Omit<DownwardAPIVolumeSource, 'defaultMode'>;
}

export interface ProjectedVolumeSource {
  sources?: VolumeProjection[];
  defaultMode?: number;
}

/** Volume is one entry of `spec.volumes`: a name and exactly one source. */
export interface Volume {
  name: string;
  emptyDir?: EmptyDirVolumeSource;
  hostPath?: HostPathVolumeSource;
  configMap?: ConfigMapVolumeSource;
  secret?: SecretVolumeSource;
  downwardAPI?: DownwardAPIVolumeSource;
  projected?: ProjectedVolumeSource;
}

/** VolumeMount puts a volume (or, with subPath, one path inside it) into a container. */
export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  /** A relative path inside the volume to mount instead of its root; never updated afterwards. */
  subPath?: string;
  /** Only `None` (the default) is supported. */
  mountPropagation?: 'None';
}

/** EnvFromSource puts every key of a ConfigMap or Secret into a container's environment. */
export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

/** ConfigMapKeySelector / SecretKeySelector name one key of one object for env[].valueFrom. */
export interface KeySelector {
  name: string;
  key: string;
  optional?: boolean;
}
