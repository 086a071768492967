import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/berth.js';

/** protoPath finds berth.proto whether we run from the sources or from dist/. */
function protoPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'proto', 'berth.proto');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('berth.proto not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

let loaded: ProtoGrpcType | undefined;

/** loadBerthProto loads the service definitions once; the options match proto/generate.mjs. */
export function loadBerthProto(): ProtoGrpcType {
  if (!loaded) {
    const definition = protoLoader.loadSync(protoPath(), {
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    loaded = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
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
