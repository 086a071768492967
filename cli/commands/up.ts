import { InvalidArgumentError } from 'commander';
import { LocalCluster } from '../local-cluster/local-cluster.js';
import { print } from './context.js';

export interface LocalClusterFlags {
  stateDir: string;
  listen: string;
  etcdPort: number;
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65534) throw new InvalidArgumentError(`"${value}" is not a port number`);
  return n;
}

/** up starts a local cluster on this machine and points the CLI at it. */
export async function upCommand(flags: LocalClusterFlags): Promise<void> {
  await new LocalCluster(flags).up(print);
}

/** down stops the local cluster and removes its state. */
export async function downCommand(flags: LocalClusterFlags): Promise<void> {
  await new LocalCluster(flags).down(print);
}
