import { qualifiedKind } from '../../proto/resources.js';
import { INT32_MAX } from '../../proto/validation/index.js';
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
  // Checked here too: the request carries an int32, so a larger number would arrive wrapped round.
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > INT32_MAX) throw new CliError(`--replicas must be a whole number from 0 to ${INT32_MAX}, not "${options.replicas}"`);
  const { info, name: objectName } = splitKindName(target, name);
  await withClient(options, (client) => client.scale(info.resource, namespaceOf(options), objectName, replicas, options.resourceVersion));
  print(`${qualifiedKind(info)}/${objectName} scaled`);
}
