import type { ResourceInfo } from '../../proto/resources.js';
import { CliError } from '../errors.js';
import { resourceOf } from './context.js';

/** GetTarget is one kind and the names asked of it (none: every object of the kind). */
export interface GetTarget {
  info: ResourceInfo;
  names: string[];
}

/**
 * getTargets reads kubectl's three ways to name what to get: `pods [NAME...]`, `pods,services`
 * (each kind in turn, the names asked of each) and `pod/web-1 service/web` (kind/name pairs,
 * grouped by kind in the order first given).
 */
export function getTargets(kindArgument: string, names: string[]): GetTarget[] {
  const args = [kindArgument, ...names];
  if (args.some((a) => a.includes('/'))) {
    if (!args.every((a) => a.includes('/'))) {
      throw new CliError(
        "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'berth get resource/<resource_name>' instead of 'berth get resource resource/<resource_name>'",
      );
    }
    return groupPairs(args);
  }
  const targets: GetTarget[] = [];
  for (const word of kindArgument.split(',')) {
    if (word === '') throw new CliError(`"${kindArgument}": an empty resource type between commas`);
    const info = resourceOf(word);
    if (!targets.some((t) => t.info.resource === info.resource)) targets.push({ info, names });
  }
  return targets;
}

function groupPairs(args: string[]): GetTarget[] {
  const targets: GetTarget[] = [];
  for (const arg of args) {
    const [kind, name, ...more] = arg.split('/');
    if (!kind || !name || more.length > 0) throw new CliError(`"${arg}" is not in resource/name form, e.g. pod/web-1`);
    const info = resourceOf(kind);
    const target = targets.find((t) => t.info.resource === info.resource);
    if (target) target.names.push(name);
    else targets.push({ info, names: [name] });
  }
  return targets;
}
