/**
 * ContainerConfigError is thrown while preparing a container when something its spec refers to
 * cannot be resolved yet: a ConfigMap or Secret (or one of its keys) that does not exist and is
 * not `optional`. It is not a crash: the container waits with reason CreateContainerConfigError
 * and this message (Kubernetes' wording, e.g. `configmap "app-config" not found`), no back-off
 * is counted, and it is tried again as soon as the object changes (ConfigObjects.onChange).
 */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
  constructor(message: string, readonly ref?: { kind: 'ConfigMap' | 'Secret'; namespace: string; name: string }) {
    super(message);
  }
}
