import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/light.js';
import type { ProtoGrpcType } from './generated/berth.js';
import { BERTH_PROTO_JSON } from './generated/berth-json.js';

type BerthV1 = ProtoGrpcType['berth']['v1'];

/** BerthServices are the gRPC client constructors (each with its `.service` definition) of berth.proto. */
export interface BerthServices {
  berth: { v1: { [K in keyof BerthV1 as BerthV1[K] extends { service: unknown } ? K : never]: BerthV1[K] } };
}

/**
 * How decoded messages look, the options the generated types assume (proto/generate.mjs):
 * int64 as decimal strings, enums by name, absent fields with their defaults, oneofs named.
 */
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, oneofs: true };

// The codecs below are exactly those of @grpc/proto-loader (fromObject then encode; decode then
// toObject); building them from generated JSON spares every program parsing berth.proto and
// loading the full protobufjs and proto-loader at start-up.
function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    return type.encode(type.fromObject(value)).finish() as Buffer;
  };
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), TO_OBJECT);
}

const requestTypes = new Map<string, string>();

/** requestTypeOf names the message a method (by its path, `/berth.v1.ClusterAPI/Apply`) takes, once the services are loaded. */
export function requestTypeOf(path: string): string | undefined {
  return requestTypes.get(path);
}

/** serviceDefinition is proto-loader's definition of a service, without the message descriptors grpc-js does not use. */
function serviceDefinition(service: protobuf.Service): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    const request = method.resolvedRequestType;
    const response = method.resolvedResponseType;
    if (!request || !response) throw new Error(`berth.proto: ${service.fullName}.${method.name} has unresolved message types`);
    requestTypes.set(`/${service.fullName.slice(1)}/${method.name}`, request.fullName.slice(1));
    definition[method.name] = {
      path: `/${service.fullName.slice(1)}/${method.name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
      // grpc-js also adds each method under this name; proto-loader makes it camelCase.
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
  }
  return definition;
}

let loaded: BerthServices | undefined;

/** loadBerthProto builds the service definitions once, from the reflection generated at build time. */
export function loadBerthProto(): BerthServices {
  if (!loaded) {
    const root = protobuf.Root.fromJSON(BERTH_PROTO_JSON);
    root.resolveAll();
    const berthV1 = root.lookup('berth.v1');
    if (!(berthV1 instanceof protobuf.Namespace)) throw new Error('berth.proto: package berth.v1 not found');
    const definitions: Parameters<typeof grpc.loadPackageDefinition>[0] = {};
    for (const service of berthV1.nestedArray) {
      if (service instanceof protobuf.Service) definitions[service.fullName.slice(1)] = serviceDefinition(service);
    }
    loaded = grpc.loadPackageDefinition(definitions) as unknown as BerthServices;
  }
  return loaded;
}

/** Message sizes: a list of many pods can be large. */
export const GRPC_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * After the initial ADDED events of NodeAPI.WatchPods, one event of this type tells the agent
 * that it has seen every pod bound to it (Kubernetes' BOOKMARK with k8s.io/initial-events-end):
 * pods it runs that were not listed may be stopped. Its object_json is an empty object.
 */
export const INITIAL_EVENTS_END = 'BOOKMARK';
