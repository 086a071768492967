import * as grpc from '@grpc/grpc-js';
import { requestTypeOf } from '../../proto/grpc.js';
import { failStream } from './errors.js';

/** MalformedRequest stands in for a request whose bytes are not the message its method takes. */
class MalformedRequest {
  constructor(readonly reason: string) {}
}

function refusal(path: string, typeName: string, reason: string): grpc.ServiceError {
  const details = `the request to ${path} is not a valid ${typeName}: ${reason}`;
  return Object.assign(new Error(details), { code: grpc.status.INVALID_ARGUMENT, details, metadata: new grpc.Metadata() });
}

/**
 * refuseMalformed makes a service answer a request that does not decode (wrong wire types,
 * truncated, noise) with INVALID_ARGUMENT naming its message type, before any handler runs.
 * grpc-js itself answers INTERNAL, the status of a server fault, for such a request. Methods
 * whose requests stream (Exec) keep grpc-js's answer: their messages arrive after the handler starts.
 */
export function refuseMalformed<H extends grpc.UntypedServiceImplementation>(definition: grpc.ServiceDefinition, handlers: H): [grpc.ServiceDefinition, H] {
  const lenient: Record<string, grpc.MethodDefinition<object, object>> = {};
  const wrapped: grpc.UntypedServiceImplementation = { ...handlers };
  for (const [name, method] of Object.entries(definition)) {
    lenient[name] = method;
    const handler = handlers[name];
    if (method.requestStream || !handler) continue;
    const typeName = requestTypeOf(method.path) ?? 'request';
    lenient[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch (err) {
          return new MalformedRequest(err instanceof Error ? err.message : String(err));
        }
      },
    };
    const fail = (request: unknown): grpc.ServiceError | undefined => (request instanceof MalformedRequest ? refusal(method.path, typeName, request.reason) : undefined);
    wrapped[name] = method.responseStream
      ? (call: grpc.ServerWritableStream<unknown, unknown>) => {
          const err = fail(call.request);
          if (err) failStream(call, err);
          else (handler as grpc.handleServerStreamingCall<unknown, unknown>)(call);
        }
      : (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
          const err = fail(call.request);
          if (err) callback(err);
          else (handler as grpc.handleUnaryCall<unknown, unknown>)(call, callback);
        };
  }
  return [lenient, wrapped as H];
}
