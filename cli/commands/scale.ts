import { qualifiedKind } from '../../proto/resources.js';
import { CliError } from '../errors.js';
import type { GlobalOptions } from './context.js';
import { namespaceOf, print, splitKindName, withClient } from './context.js';

export interface ScaleOptions extends GlobalOptions {
  replicas: string;
  resourceVersion?: string;
}

/** scale sets the replica count of a Deployment or ReplicaSet (`berth scale deployment/web --replicas 3`). */
export async function scaleCommand(target: string, name: string | undefined, options: ScaleOptions): Promise<void> {
  const replicas = Number(options.replicas);
  if (!Number.isInteger(replicas) || replicas < 0) throw new CliError(`--replicas must be a whole number of at least 0, not "${options.replicas}"`);
  const { info, name: objectName } = splitKindName(target, name);
  await withClient(options, (client) => client.scale(info.resource, namespaceOf(options), objectName, replicas, options.resourceVersion));
  print(`${qualifiedKind(info)}/${objectName} scaled`);
}
