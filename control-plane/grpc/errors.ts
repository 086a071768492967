import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'winston';
import { AlreadyExistsError, ConflictError, FailedPreconditionError, InvalidError, NotFoundError, StoreUnavailableError, WatchExpiredError } from '../errors.js';

/** toServiceError maps a domain error to a gRPC status; unknown errors become INTERNAL. */
export function toServiceError(err: unknown): grpc.ServiceError {
  const message = err instanceof Error ? err.message : String(err);
  const code =
    err instanceof NotFoundError ? grpc.status.NOT_FOUND
    : err instanceof AlreadyExistsError ? grpc.status.ALREADY_EXISTS
    : err instanceof ConflictError ? grpc.status.ABORTED
    : err instanceof InvalidError ? grpc.status.INVALID_ARGUMENT
    : err instanceof FailedPreconditionError ? grpc.status.FAILED_PRECONDITION
    : err instanceof WatchExpiredError ? grpc.status.OUT_OF_RANGE
    : err instanceof StoreUnavailableError ? grpc.status.UNAVAILABLE
    : grpc.status.INTERNAL;
  return Object.assign(new Error(message), { code, details: message, metadata: new grpc.Metadata() });
}

/** answerError maps a failure to the status a caller gets; one that is not the caller's doing (INTERNAL) is logged. */
export function answerError(logger: Logger, err: unknown, context: Record<string, unknown>): grpc.ServiceError {
  const serviceError = toServiceError(err);
  if (serviceError.code === grpc.status.INTERNAL) logger.error('request failed', { ...context, error: err });
  return serviceError;
}

/** unary runs a unary handler body and answers with its result or its mapped error. */
export function unary<Req, Res>(logger: Logger, body: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    body(call.request).then(
      (res) => callback(null, res),
      (err: unknown) => callback(answerError(logger, err, { method: call.getPath() })),
    );
  };
}

/**
 * failStream ends a server stream with an error status. grpc-js silently drops the status of
 * `call.destroy(err)` on a server stream (the client would wait forever); emitting 'error' is
 * what sends it. Domain errors are mapped like unary ones.
 */
export function failStream(call: { emit(event: 'error', err: grpc.ServiceError): boolean }, err: unknown): void {
  const isServiceError = typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number';
  call.emit('error', isServiceError ? (err as grpc.ServiceError) : toServiceError(err));
}
