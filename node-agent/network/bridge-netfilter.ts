import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'winston';
import { runTool, type CommandRunner } from './commands.js';

/** Where the setting lives under /proc/sys (per network namespace since Linux 5.3). */
const SETTING = join('net', 'bridge', 'bridge-nf-call-iptables');

/**
 * ensureBridgeNetfilter turns on netfilter for bridged IPv4 traffic in the node's namespace
 * (loading br_netfilter when the setting is missing), as kubeadm's preflight demands. A pod
 * reaching a Service whose chosen endpoint is on the same node sends through the ClusterIP's
 * DNAT, but the reply goes from pod to pod over the bridge; without this, the reply skips
 * conntrack's reverse translation and the client drops it. Failing is logged, not thrown: the
 * rest of the network works, and the log says what does not.
 */
export async function ensureBridgeNetfilter(run: CommandRunner, logger: Logger, procSys = '/proc/sys'): Promise<boolean> {
  const file = join(procSys, SETTING);
  try {
    let value = await readFile(file, 'utf8').catch(async (err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await runTool(run, 'modprobe', ['br_netfilter']);
      return readFile(file, 'utf8');
    });
    if (value.trim() !== '1') {
      await writeFile(file, '1\n');
      value = await readFile(file, 'utf8');
      if (value.trim() !== '1') throw new Error(`${file} stays ${value.trim()} after writing 1`);
      logger.info('netfilter turned on for bridged traffic (net.bridge.bridge-nf-call-iptables=1)');
    }
    return true;
  } catch (err) {
    logger.error('netfilter for bridged traffic is off and could not be turned on: a pod reaching a Service whose chosen endpoint is on the same node gets no answer (load br_netfilter and set net.bridge.bridge-nf-call-iptables=1)', { error: String(err) });
    return false;
  }
}
