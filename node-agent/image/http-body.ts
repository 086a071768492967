import { RegistryError } from './errors.js';
import type { HttpResponse } from './http-get.js';

/** Error bodies and token responses are small; more is refused (a hostile server cannot fill memory). */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** A small body (manifest, token, error) that has not arrived whole by then is abandoned. */
const SMALL_BODY_TIMEOUT_MS = 30_000;

/** readCapped reads a response body of at most `max` bytes; a larger one is refused, not buffered. */
export async function readCapped(res: HttpResponse, max: number, what: string): Promise<Buffer> {
  const declared = Number(res.header('content-length') ?? '0');
  if (declared > max) {
    res.body.destroy();
    throw new RegistryError(`${what}: ${declared} bytes is larger than the ${max} bytes allowed`);
  }
  const timer = setTimeout(() => res.body.destroy(new Error(`body not complete within ${SMALL_BODY_TIMEOUT_MS / 1000} s`)), SMALL_BODY_TIMEOUT_MS);
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of res.body) {
      n += (chunk as Buffer).length;
      if (n > max) {
        res.body.destroy();
        throw new RegistryError(`${what}: larger than the ${max} bytes allowed`);
      }
      parts.push(chunk as Buffer);
    }
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(parts);
}
