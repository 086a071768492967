import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'winston';
import type { ClusterAPIHandlers } from '../../proto/generated/berth/v1/ClusterAPI.js';
import type { NodeOperations } from '../api/node-operations.js';
import type { ObjectService } from '../api/object-service.js';
import type { NodeService } from '../nodes/node-service.js';
import { applyDocumentsFromProto, applyOutcomeToProto } from './convert.js';
import { failStream, unary } from './errors.js';
import { proxyExec, proxyLogs } from './agent-streams.js';
import { serveWatch } from './streams.js';

/** The namespace a request names: undefined for all namespaces, '' for the default one. */
function scope(req: { all_namespaces: boolean; namespace: string }): string | undefined {
  return req.all_namespaces ? undefined : req.namespace;
}

function notServed(what: string): Error {
  return Object.assign(new Error(`${what} is not served by this server`), { code: grpc.status.UNIMPLEMENTED });
}

/** clusterApiHandlers: each handler converts the request, calls the service layer, converts back. */
export function clusterApiHandlers(service: ObjectService, nodeOps: NodeOperations, logger: Logger, nodes?: NodeService): ClusterAPIHandlers {
  return {
    Apply: unary(logger, async (req) => applyOutcomeToProto(await service.apply(applyDocumentsFromProto(req), { dryRun: req.dry_run }))),
    Get: unary(logger, async (req) => ({ object_json: JSON.stringify(await service.get(req.resource, req.namespace, req.name)) })),
    List: unary(logger, async (req) => {
      const { items, revision } = await service.list(req.resource, scope(req), req.label_selector);
      return { items_json: items.map((o) => JSON.stringify(o)), resource_version: revision };
    }),
    Delete: unary(logger, async (req) => ({
      object_json: JSON.stringify(
        await service.delete(req.ref?.resource ?? '', req.ref?.namespace ?? '', req.ref?.name ?? '', { precondition: req.resource_version, gracePeriodSeconds: req.grace_period_seconds, force: req.force }),
      ),
    })),
    Scale: unary(logger, async (req) => ({
      object_json: JSON.stringify(await service.scale(req.ref?.resource ?? '', req.ref?.namespace ?? '', req.ref?.name ?? '', req.replicas, req.resource_version || undefined)),
    })),
    Patch: unary(logger, async (req) => ({ object_json: JSON.stringify(await service.patch(req.ref?.resource ?? '', req.ref?.namespace ?? '', req.ref?.name ?? '', req.patch_json, req.resource_version || undefined)) })),
    Cordon: unary(logger, async (req) => ({ object_json: JSON.stringify(await nodeOps.cordon(req.node_name, req.unschedulable)) })),
    Drain: unary(logger, async (req) => {
      const { node, evicted } = await nodeOps.drain(req.node_name);
      return { evicted, node_json: JSON.stringify(node) };
    }),
    // Streamed from (and to) the AgentAPI of the pod's node.
    Logs: (call) => (nodes ? proxyLogs(nodes.agents, call) : failStream(call, notServed('logs'))),
    Exec: (call) => (nodes ? proxyExec(nodes.agents, call) : failStream(call, notServed('exec'))),
    Watch: (call) => serveWatch(call, () => service.watch(call.request.resource, scope(call.request), call.request.resource_version || undefined, call.request.label_selector)),
  };
}
