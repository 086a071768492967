import { LocalCluster } from '../local-cluster/local-cluster.js';
import { print } from './context.js';

/** LocalClusterFlags are the options of `berth up` and `berth down`. */
export interface LocalClusterFlags {
  stateDir: string;
  listen: string;
  etcdPort: number;
  nodes: number;
  name: string;
  labCidr: string;
  timeout: number;
  mirrorOnly?: boolean;
}

function cluster(flags: LocalClusterFlags): LocalCluster {
  return new LocalCluster({
    stateDir: flags.stateDir,
    listen: flags.listen,
    etcdPort: flags.etcdPort,
    nodes: flags.nodes,
    name: flags.name,
    labCidr: flags.labCidr,
    readyTimeoutMs: flags.timeout * 1000,
    mirrorOnly: flags.mirrorOnly ?? false,
  });
}

/** up starts a local multi-node cluster on this machine and points the CLI at it. */
export async function upCommand(flags: LocalClusterFlags): Promise<void> {
  await cluster(flags).up(print);
}

/** down removes the local cluster recorded in the state dir: processes, containers, namespaces, mounts, cgroups, state. */
export async function downCommand(flags: LocalClusterFlags): Promise<void> {
  await cluster(flags).down(print);
}
