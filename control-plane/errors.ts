import type { ObjectProblem } from '../proto/validation/index.js';

/**
 * Domain errors of the control plane. Only the gRPC edge (grpc/errors.ts) maps them to status
 * codes; everything else throws and catches these by class.
 */

/** NotFoundError: the object does not exist. Controllers end a reconcile quietly on it. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  constructor(readonly what: string, readonly objectName: string) {
    super(`${what} "${objectName}" not found`);
  }
}

/** AlreadyExistsError: a create found the key taken. */
export class AlreadyExistsError extends Error {
  override name = 'AlreadyExistsError';
  constructor(readonly what: string, readonly objectName: string) {
    super(`${what} "${objectName}" already exists`);
  }
}

/**
 * ConflictError: the object changed since it was read (its resourceVersion is stale).
 * The caller re-reads and retries; it never overwrites blindly.
 */
export class ConflictError extends Error {
  override name = 'ConflictError';
  constructor(readonly what: string, readonly objectName: string, readonly detail = 'the object has been modified; please apply your changes to the latest version and try again') {
    super(`Operation cannot be fulfilled on ${what} "${objectName}": ${detail}`);
  }
}

/** InvalidError: the request names something that cannot be done (not a manifest problem). */
export class InvalidError extends Error {
  override name = 'InvalidError';
  constructor(message: string, readonly problems: ObjectProblem[] = []) {
    super(message);
  }
}

/**
 * FailedPreconditionError: the object exists but is not in the state the request needs (a pod
 * that is not terminating, or not on the caller's node); the caller must not simply retry.
 */
export class FailedPreconditionError extends Error {
  override name = 'FailedPreconditionError';
}

/** StoreUnavailableError: etcd could not be reached; the caller may retry later. `cause` is etcd's error. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  constructor(cause: unknown) {
    super(`etcd is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** WatchExpiredError: the requested start revision was compacted away; list again and re-watch. */
export class WatchExpiredError extends Error {
  override name = 'WatchExpiredError';
  constructor(revision: string) {
    super(`too old resource version: ${revision} has been compacted; list again and watch from the list's resourceVersion`);
  }
}
