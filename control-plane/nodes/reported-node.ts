import type { Node } from '../../proto/objects/cluster.js';
import { isQuantity } from '../../proto/quantity.js';
import { joinPath, validateObject } from '../../proto/validation/index.js';
import type { ObjectProblem } from '../../proto/validation/index.js';
import { InvalidError } from '../errors.js';

const ADDRESS_TYPES = new Set(['InternalIP', 'ExternalIP', 'Hostname']);

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * checkReportedNode is what NodeAPI.Register accepts from an agent: a Node whose metadata and spec
 * pass the Node's validation and whose status has the shape the scheduler and the node
 * controllers read (quantities, addresses, the agent's port). Anything else is refused with an
 * InvalidError naming each field, before the Node is read or written.
 */
export function checkReportedNode(reported: unknown): Node {
  if (!isMapping(reported)) throw new InvalidError('node_json: a Node must be a mapping with metadata.name');
  const { status, ...rest } = reported;
  const problems: ObjectProblem[] = [...validateObject({ ...rest, apiVersion: 'v1', kind: 'Node' }).errors, ...statusProblems(status)];
  if (problems.length > 0) throw new InvalidError(`node_json: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
  return reported as unknown as Node;
}

function statusProblems(status: unknown): ObjectProblem[] {
  if (status === undefined) return [];
  if (!isMapping(status)) return [{ path: 'status', message: 'must be a mapping' }];
  const problems: ObjectProblem[] = [];
  const bad = (path: string, message: string) => problems.push({ path, message });
  for (const field of ['capacity', 'allocatable'] as const) {
    const list = status[field];
    if (list === undefined) continue;
    if (!isMapping(list)) bad(`status.${field}`, 'must be a mapping of resource names to quantities');
    else for (const [name, q] of Object.entries(list)) if (typeof q !== 'string' || !isQuantity(q)) bad(joinPath(`status.${field}`, name), 'must be a quantity such as "8" or "16Gi"');
  }
  const addresses = status.addresses;
  if (addresses !== undefined) {
    if (!Array.isArray(addresses)) bad('status.addresses', 'must be a list');
    else
      addresses.forEach((a: unknown, i) => {
        if (!isMapping(a) || !ADDRESS_TYPES.has(String(a.type)) || typeof a.address !== 'string') bad(`status.addresses[${i}]`, 'must be {type: InternalIP, ExternalIP or Hostname, address: a string}');
      });
  }
  const endpoints = status.daemonEndpoints;
  if (endpoints !== undefined) {
    const port = isMapping(endpoints) && isMapping(endpoints.agentEndpoint) ? endpoints.agentEndpoint.Port : undefined;
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) bad('status.daemonEndpoints.agentEndpoint.Port', 'must be a port from 1 to 65535');
  }
  const info = status.nodeInfo;
  if (info !== undefined && (!isMapping(info) || Object.values(info).some((v) => typeof v !== 'string'))) bad('status.nodeInfo', 'must be a mapping of strings');
  return problems;
}
