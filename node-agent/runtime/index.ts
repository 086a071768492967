/** The node agent's container runtime: the Runtime interface and its berth-runtime implementation. */
export type { ContainerState, ContainerStatus, CreateContainerRequest, ExecProcess, ExecRequest, LogOptions, RemoveOptions, Runtime, TerminalSize, WaitOptions } from './runtime.js';
export { transition } from './runtime.js';
export type { BindMount, ContainerSpec, ImageForContainer, ImageRunConfig, PodOptions } from './container-spec.js';
export type { LogEntry } from './cri-log.js';
export { BerthRuntime, DEFAULT_LOG_ROTATION, type BerthRuntimeOptions } from './berth-runtime.js';
export type { LogRotation } from './berth-runtime-cli.js';
export { HostMounter, type Mounter } from './mounter.js';
export * from './errors.js';
