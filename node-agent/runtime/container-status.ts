import { join } from 'node:path';
import type { RuntimeState } from './berth-runtime-cli.js';
import type { ContainerMeta } from './container-meta.js';
import type { ContainerStatus } from './runtime.js';

/**
 * Joins the metadata with berth-runtime's state. No state at all means creation has not got
 * that far or was cut short (the agent killed mid-create): reported as exited, so that
 * remove() cleans up.
 */
export function toStatus(meta: ContainerMeta, bundle: string, state: RuntimeState | undefined): ContainerStatus {
  const status: ContainerStatus = {
    id: meta.id,
    name: meta.name,
    state: state === undefined || state.status === 'stopped' ? 'exited' : state.status,
    image: meta.image,
    imageDigest: meta.imageDigest,
    labels: meta.labels,
    oomKilled: state?.oomKilled ?? false,
    createdAt: meta.createdAt,
    logPath: join(bundle, 'container.log'),
    bundle,
  };
  if (state && state.status !== 'stopped' && state.pid > 0) status.pid = state.pid;
  if (state?.exitCode !== undefined && state.status === 'stopped') status.exitCode = state.exitCode;
  if (state?.startedAt) status.startedAt = state.startedAt;
  if (state?.finishedAt) status.finishedAt = state.finishedAt;
  return status;
}
