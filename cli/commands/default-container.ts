import type { Pod } from '../../proto/objects/pod.js';
import type { ClusterClient } from '../client.js';
import { CliError } from '../errors.js';
import { printErr } from './context.js';

/** The annotation naming the container `logs` and `exec` use when none is given (kubectl's). */
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/** ContainerChoice is used for the container a command without -c uses, and what to tell the user about it. */
export interface ContainerChoice {
  container: string;
  /** kubectl's `Defaulted container "a" out of: a, b, setup (init)`, for stderr; absent when there was no choice to make. */
  notice?: string;
}

/**
 * defaultContainer is kubectl's choice of container when -c is not given: the one the
 * default-container annotation names (when the pod has it), else the first app container,
 * with a notice when the pod has any other container (init containers included).
 */
export function defaultContainer(pod: Pod): ContainerChoice {
  const annotated = pod.metadata.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  const all = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
  if (annotated && all.some((c) => c.name === annotated)) return { container: annotated };
  const first = pod.spec.containers[0];
  if (!first) throw new CliError(`pod ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name} does not have any containers`);
  if (pod.spec.containers.length === 1 && (pod.spec.initContainers ?? []).length === 0) return { container: first.name };
  const names = [...pod.spec.containers.map((c) => c.name), ...(pod.spec.initContainers ?? []).map((c) => `${c.name} (init)`)];
  return { container: first.name, notice: `Defaulted container "${first.name}" out of: ${names.join(', ')}` };
}

/** containerFor is the container a command uses: the one given with -c, else the pod's default (its notice printed on stderr). */
export async function containerFor(client: ClusterClient, namespace: string, pod: string, given: string | undefined): Promise<string> {
  if (given) return given;
  const choice = defaultContainer((await client.get('pods', namespace, pod)) as Pod);
  if (choice.notice) printErr(choice.notice);
  return choice.container;
}
