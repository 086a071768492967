import { RegistryError } from './errors.js';

/** Error bodies and token responses are small; more is refused (a hostile server cannot fill memory). */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** readCapped reads a response body of at most `max` bytes; a larger one is refused, not buffered. */
export async function readCapped(res: Response, max: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) {
    await res.body?.cancel();
    throw new RegistryError(`${what}: ${declared} bytes is larger than the ${max} bytes allowed`);
  }
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of res.body ?? []) {
    n += (chunk as Uint8Array).length;
    if (n > max) {
      await res.body?.cancel().catch(() => undefined);
      throw new RegistryError(`${what}: larger than the ${max} bytes allowed`);
    }
    parts.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(parts);
}
