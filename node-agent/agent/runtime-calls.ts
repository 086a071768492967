import { ContainerNotFoundError, type ContainerStatus as RuntimeContainer, type Runtime } from '../runtime/index.js';

/** inspectIfPresent is the instance as the runtime has it now, or undefined when it is gone. */
export async function inspectIfPresent(runtime: Pick<Runtime, 'inspect'>, id: string): Promise<RuntimeContainer | undefined> {
  try {
    return await runtime.inspect(id);
  } catch (err) {
    if (err instanceof ContainerNotFoundError) return undefined;
    throw err;
  }
}

/** removeIfPresent removes an instance (running or not); one already gone is fine. */
export async function removeIfPresent(runtime: Pick<Runtime, 'remove'>, id: string): Promise<void> {
  try {
    await runtime.remove(id, { force: true });
  } catch (err) {
    if (!(err instanceof ContainerNotFoundError)) throw err;
  }
}
