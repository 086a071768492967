import type { PodStatus } from '../../proto/objects/pod.js';
import { InvalidError } from '../errors.js';

const PHASES = new Set(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);
const STRINGS = ['message', 'reason', 'hostIP', 'podIP', 'startTime'] as const;
const LISTS = ['conditions', 'podIPs', 'containerStatuses', 'initContainerStatuses'] as const;

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * checkReportedPodStatus is what NodeAPI.UpdatePodStatuses accepts as a pod's status: a mapping
 * whose phase is a pod phase and whose fields have the types the controllers and `berth get`
 * read (strings, lists of mappings). A report of another shape is refused with an InvalidError
 * naming the field, and the pod keeps the status it has.
 */
export function checkReportedPodStatus(status: unknown): PodStatus {
  if (!isMapping(status)) throw new InvalidError('status: a pod status must be a mapping');
  const problems: string[] = [];
  if (status.phase !== undefined && !PHASES.has(status.phase as string)) problems.push(`status.phase: must be one of ${[...PHASES].join(', ')}`);
  for (const field of STRINGS) if (status[field] !== undefined && typeof status[field] !== 'string') problems.push(`status.${field}: must be a string`);
  for (const field of LISTS) {
    const list = status[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) problems.push(`status.${field}: must be a list`);
    else list.forEach((item: unknown, i) => isMapping(item) || problems.push(`status.${field}[${i}]: must be a mapping`));
  }
  if (problems.length > 0) throw new InvalidError(problems.join('; '));
  return status as PodStatus;
}
