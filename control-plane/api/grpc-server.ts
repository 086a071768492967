import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'winston';
import type { ClusterAPIHandlers } from '../../proto/generated/berth/v1/ClusterAPI.js';
import { GRPC_MAX_MESSAGE_BYTES, loadBerthProto } from '../../proto/grpc.js';
import { matches, parseSelector, SelectorSyntaxError } from '../../proto/labels.js';
import type { Selector } from '../../proto/labels.js';
import type { StoreEvent } from '../store/prefix-watch.js';
import { InvalidError } from '../errors.js';
import { applyDocumentsFromProto, applyOutcomeToProto } from './convert.js';
import { failStream, unary } from './grpc-errors.js';
import type { NodeOperations } from './node-operations.js';
import type { ObjectService } from './object-service.js';
import type { NodeService } from '../nodes/node-service.js';
import { nodeApiHandlers, proxyLogs } from './node-api.js';


function selectorOf(text: string) {
  try {
    return parseSelector(text);
  } catch (err) {
    if (err instanceof SelectorSyntaxError) throw new InvalidError(err.message);
    throw err;
  }
}

/**
 * selectedChange is what a watcher with a label selector sees of a change, as in Kubernetes: an
 * object that starts to match is ADDED, one that stops matching is DELETED, and a deletion is
 * sent when the object matched before it (or when that is not known: a client ignores a DELETED
 * of what it does not have). Undefined: nothing to send.
 */
function selectedChange(selector: Selector, event: StoreEvent): StoreEvent['type'] | undefined {
  if (selector.length === 0) return event.type;
  const before = event.previous?.();
  const matchedBefore = before ? matches(selector, before.metadata.labels) : undefined;
  if (event.type === 'DELETED') return matchedBefore === false ? undefined : 'DELETED';
  const matchesNow = matches(selector, event.object.metadata.labels);
  if (event.type === 'ADDED') return matchesNow ? 'ADDED' : undefined;
  if (matchesNow) return matchedBefore === false ? 'ADDED' : 'MODIFIED';
  return matchedBefore === false ? undefined : 'DELETED';
}

/** clusterApiHandlers: each handler converts, calls ObjectService, converts back. */
export function clusterApiHandlers(service: ObjectService, nodeOps: NodeOperations, logger: Logger, nodes?: NodeService): ClusterAPIHandlers {
  return {
    Apply: unary(logger, async (req) => applyOutcomeToProto(await service.apply(applyDocumentsFromProto(req), { dryRun: req.dry_run }))),
    Get: unary(logger, async (req) => ({ object_json: JSON.stringify(await service.get(req.resource, req.namespace, req.name)) })),
    List: unary(logger, async (req) => {
      const { items, revision } = await service.list(req.resource, req.all_namespaces ? undefined : req.namespace || 'default', selectorOf(req.label_selector));
      return { items_json: items.map((o) => JSON.stringify(o)), resource_version: revision };
    }),
    Delete: unary(logger, async (req) => ({
      object_json: JSON.stringify(await service.delete(req.ref?.resource ?? '', req.ref?.namespace ?? '', req.ref?.name ?? '', req.resource_version)),
    })),
    Scale: unary(logger, async (req) => ({
      object_json: JSON.stringify(await service.scale(req.ref?.resource ?? '', req.ref?.namespace ?? '', req.ref?.name ?? '', req.replicas, req.resource_version || undefined)),
    })),
    Cordon: unary(logger, async (req) => ({ object_json: JSON.stringify(await nodeOps.cordon(req.node_name, req.unschedulable)) })),
    Drain: unary(logger, async (req) => {
      const { node, evicted } = await nodeOps.drain(req.node_name);
      return { evicted, node_json: JSON.stringify(node) };
    }),
    // Streamed from the AgentAPI of the pod's node.
    Logs: (call) =>
      nodes ? proxyLogs(nodes.logs, call) : failStream(call, Object.assign(new Error('logs are not served by this server'), { code: grpc.status.UNIMPLEMENTED })),
    Watch: (call) => {
      const req = call.request;
      let stream;
      try {
        const selector = selectorOf(req.label_selector);
        const { watch } = service.watch(req.resource, req.all_namespaces ? undefined : req.namespace || 'default', req.resource_version || undefined);
        stream = { watch, selector };
      } catch (err) {
        failStream(call, err);
        return;
      }
      const { watch, selector } = stream;
      call.on('cancelled', () => watch.close());
      call.on('close', () => watch.close());
      void (async () => {
        try {
          for await (const event of watch) {
            const type = selectedChange(selector, event);
            if (type) call.write({ type, object_json: JSON.stringify(event.object) });
          }
          call.end();
        } catch (err) {
          failStream(call, err);
        }
      })();
    },
  };
}

/** startGrpcServer binds ClusterAPI on `listen` (host:port) and resolves with the bound port. */
export async function startGrpcServer(listen: string, service: ObjectService, nodeOps: NodeOperations, logger: Logger, nodes?: NodeService): Promise<{ server: grpc.Server; port: number }> {
  const proto = loadBerthProto();
  const server = new grpc.Server({ 'grpc.max_receive_message_length': GRPC_MAX_MESSAGE_BYTES, 'grpc.max_send_message_length': GRPC_MAX_MESSAGE_BYTES });
  server.addService(proto.berth.v1.ClusterAPI.service, clusterApiHandlers(service, nodeOps, logger, nodes));
  if (nodes) server.addService(proto.berth.v1.NodeAPI.service, nodeApiHandlers(nodes, logger));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port };
}
