import { ContainerExistsError, ContainerNotFoundError, type ContainerStatus, type CreateContainerRequest, type Runtime } from '../runtime/index.js';

/**
 * createAndStartInstance creates and starts a container instance in one runtime step, coping with one
 * left by an agent killed between create and start (same id): a never-started one is started
 * as it is, anything else (including one cut short before its metadata was written) is removed
 * and created again.
 */
export async function createAndStartInstance(runtime: Runtime, request: CreateContainerRequest & { id: string }): Promise<ContainerStatus> {
  try {
    return await runtime.createAndStart(request);
  } catch (err) {
    if (!(err instanceof ContainerExistsError)) throw err;
    const found = await runtime.inspect(request.id).catch((e: unknown) => {
      if (e instanceof ContainerNotFoundError) return undefined;
      throw e;
    });
    if (found?.state === 'created') return runtime.start(request.id);
    await runtime.remove(request.id, { force: true });
    return runtime.createAndStart(request);
  }
}
