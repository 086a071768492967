import { labelValue } from '../../proto/validation/names.js';
import { CliError } from '../errors.js';

/*
 * The KEY=VALUE / KEY- arguments of `berth label` and `berth annotate`, read as kubectl reads
 * them, with kubectl's messages. Label keys are checked by the server (like kubectl, whose
 * server names the field path); label values are checked here first, as kubectl does.
 */

/** MapEdit is what one command does to a string map (labels or annotations). */
export interface MapEdit {
  /** Keys to set, in the order given. */
  set: [string, string][];
  /** Keys to remove (given as KEY-), in the order given. */
  remove: string[];
}

/** The word kubectl uses for the pairs in its messages. */
export type PairType = 'label' | 'annotation' | 'taint' | 'image';

/**
 * splitResourcesAndPairs separates `TYPE NAME...` from the changes that follow them (kubectl's
 * GetResourcesAndPairs): an argument with `=` (not first) or ending in `-` starts the changes, and
 * every resource must come before them.
 */
export function splitResourcesAndPairs(args: string[], pairType: PairType, isPair = isMapPair): { resources: string[]; pairs: string[] } {
  const resources: string[] = [];
  const pairs: string[] = [];
  for (const arg of args) {
    if (isPair(arg)) pairs.push(arg);
    else if (pairs.length === 0) resources.push(arg);
    else throw new CliError(`all resources must be specified before ${pairType} changes: ${arg}`);
  }
  return { resources, pairs };
}

function isMapPair(arg: string): boolean {
  return (arg.includes('=') && !arg.startsWith('=')) || (arg.endsWith('-') && arg !== '-');
}

/** parseLabelArgs is kubectl's parseLabels: one `=` per pair, a valid label value, no key both set and removed. */
export function parseLabelArgs(pairs: string[]): MapEdit {
  const set = new Map<string, string>();
  const remove: string[] = [];
  for (const spec of pairs) {
    if (spec.includes('=')) {
      const parts = spec.split('=');
      if (parts.length !== 2) throw new CliError(`invalid label spec: ${spec}`);
      const [key, value] = parts as [string, string];
      const reason = labelValue(value);
      if (reason) throw new CliError(`invalid label value: ${JSON.stringify(spec)}: ${reason}`);
      set.set(key, value);
    } else if (spec.endsWith('-')) {
      remove.push(spec.slice(0, -1));
    } else {
      throw new CliError(`unknown label spec: ${spec}`);
    }
  }
  if (remove.some((key) => set.has(key))) throw new CliError('can not both modify and remove a label in the same command');
  return { set: [...set], remove };
}

/** parseAnnotationArgs is kubectl's ParsePairs for annotations: the value is everything after the first `=`. */
export function parseAnnotationArgs(pairs: string[]): MapEdit {
  const set = new Map<string, string>();
  const remove: string[] = [];
  const invalid: string[] = [];
  for (const spec of pairs) {
    const eq = spec.indexOf('=');
    if (eq >= 0) set.set(spec.slice(0, eq), spec.slice(eq + 1));
    else if (spec.endsWith('-')) remove.push(spec.slice(0, -1));
    else invalid.push(spec);
  }
  if (invalid.length > 0) throw new CliError(`invalid annotation format: ${invalid.join(', ')}`);
  const both = remove.filter((key) => set.has(key));
  if (both.length > 0) throw new CliError(`can not both modify and remove the following annotation(s) in the same command: ${both.join(', ')}`);
  return { set: [...set], remove };
}
