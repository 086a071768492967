import { BrokenCircuitError, TaskCancelledError } from 'cockatiel';
import { ClientClosedError, GRPCDeadlineExceededError, GRPCOutOfRangeError, GRPCUnavailableError, isRecoverableError } from 'etcd3';
import { StoreUnavailableError } from '../errors.js';

/**
 * How the store tells etcd's failures apart, by the error's type (never by its message):
 * unreachable or too slow (the caller may retry later), or a revision already compacted.
 */

/** isUnavailable: etcd did not answer, or the client gave up on it for now. */
export function isUnavailable(err: unknown): boolean {
  return (
    err instanceof GRPCUnavailableError ||
    err instanceof GRPCDeadlineExceededError ||
    // The etcd3 client's circuit breaker is open for the host after repeated failures.
    err instanceof BrokenCircuitError ||
    err instanceof TaskCancelledError ||
    err instanceof ClientClosedError ||
    (err instanceof Error && isRecoverableError(err))
  );
}

/** isCompacted: a read or watch asked for a revision etcd has compacted away. */
export function isCompacted(err: unknown): boolean {
  return err instanceof GRPCOutOfRangeError;
}

/** asStoreError turns an unavailability into StoreUnavailableError (keeping it as `cause`); others pass. */
export function asStoreError(err: unknown): unknown {
  return isUnavailable(err) ? new StoreUnavailableError(err) : err;
}
