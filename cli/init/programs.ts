// The programs init and join start, as commands: the same flags the systemd units pass from the env files.
import { join } from 'node:path';
import { agentEntry, agentLaunch, controlPlaneEntry } from '../local-cluster/paths.js';
import type { MachineLayout } from './layout.js';
import type { ServiceSpec } from './start-services.js';

/** The control plane with `args`, as berth-control-plane.service runs it. */
export function controlPlaneService(layout: MachineLayout, args: string[]): ServiceSpec {
  return { unit: 'berth-control-plane.service', command: [process.execPath, controlPlaneEntry(), ...args], log: layout.controlPlaneLog, pidFile: join(layout.stateDir, 'control-plane.pid'), marker: layout.controlPlaneDataDir };
}

/** The agent's process as its #! line asks (its environment and Node options), as the unit runs it. */
export function agentService(layout: MachineLayout, args: string[]): ServiceSpec {
  const launch = agentLaunch();
  const env = Object.entries(launch.env).map(([name, value]) => `${name}=${value}`);
  return { unit: 'berth-agent.service', command: ['/usr/bin/env', ...env, process.execPath, ...launch.nodeOptions, agentEntry(), ...args], log: layout.agentLog, pidFile: join(layout.stateDir, 'agent.pid'), marker: layout.agentRoot };
}
