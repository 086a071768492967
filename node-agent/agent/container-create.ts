import { ContainerExistsError, type ContainerStatus, type CreateContainerRequest, type Runtime } from '../runtime/index.js';

/**
 * createInstance creates a container instance, coping with one left by an agent killed between
 * create and start (same id): a never-started one is returned as it is (the caller starts it),
 * anything else is removed and created again.
 */
export async function createInstance(runtime: Runtime, request: CreateContainerRequest & { id: string }): Promise<ContainerStatus> {
  try {
    return await runtime.create(request);
  } catch (err) {
    if (!(err instanceof ContainerExistsError)) throw err;
    const found = await runtime.inspect(request.id);
    if (found.state === 'created') return found;
    await runtime.remove(request.id, { force: true });
    return runtime.create(request);
  }
}
