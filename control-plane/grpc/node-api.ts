import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'winston';
import type { NodeAPIHandlers } from '../../proto/generated/berth/v1/NodeAPI.js';
import { INITIAL_EVENTS_END } from '../../proto/grpc.js';
import { DEFAULT_NAMESPACE } from '../../proto/resources.js';
import type { Event, Node } from '../../proto/objects/cluster.js';
import type { PodStatus } from '../../proto/objects/pod.js';
import { InvalidError } from '../errors.js';
import { parseJsonInput } from '../api/json-input.js';
import type { NodeService } from '../nodes/node-service.js';
import { finishPodTermination } from '../nodes/pod-termination.js';
import { checkReportedNode } from '../nodes/reported-node.js';
import { checkReportedPodStatus } from '../nodes/reported-pod-status.js';
import { renewNodeCertificate } from './node-certificate-renewal.js';
import type { NodeCertificateIssuer } from '../bootstrap/node-certificates.js';
import { answerError, unary } from './errors.js';
import { serveSubscription } from './streams.js';

/** parse reads a JSON field of a request; what it holds is checked where it is used. */
function parse<T>(json: string, what: string): T {
  return parseJsonInput(json, what) as T;
}


/**
 * nodeApiHandlers: each handler converts, calls the nodes/ logic, converts back. `certificates`
 * issues renewed node certificates (absent on a control plane without the CA key).
 */
export function nodeApiHandlers(nodes: NodeService, logger: Logger, certificates?: NodeCertificateIssuer): NodeAPIHandlers {
  return {
    RenewNodeCertificate: renewNodeCertificate(certificates, logger),
    Register: unary(logger, async (req) => {
      const { node, podCIDR } = await nodes.registration.register(checkReportedNode(parse<unknown>(req.node_json, 'node_json')));
      return { node_json: JSON.stringify(node), pod_cidr: podCIDR };
    }),
    FinishPodTermination: unary(logger, async (req) => {
      await finishPodTermination(nodes.store, { nodeName: req.node_name, namespace: req.namespace || DEFAULT_NAMESPACE, name: req.name, uid: req.uid });
      return {};
    }),
    ReportProxySync: unary(logger, async (req) => {
      await nodes.proxySync.report(req.node_name, req.resource_version);
      return {};
    }),
    // A caller that goes away ends its wait.
    WaitEndpointsDrained: (call, callback) => {
      const gone = new AbortController();
      call.on('cancelled', () => gone.abort());
      const req = call.request;
      unary(logger, () => nodes.proxySync.wait({ namespace: req.namespace || DEFAULT_NAMESPACE, name: req.name, uid: req.uid, timeoutMs: req.timeout_ms }, gone.signal))(call, callback);
    },
    Heartbeat: unary(logger, async (req) => {
      const { leaseDurationSeconds } = await nodes.heartbeat.beat(req.node_name);
      return { lease_duration_seconds: leaseDurationSeconds };
    }),
    // Each update on its own, all at once: the status writer commits those of one turn together.
    UpdatePodStatuses: unary(logger, async (req) => ({
      results: await Promise.all(
        req.updates.map(async (u) => {
          try {
            await nodes.statuses.write({ nodeName: req.node_name, namespace: u.namespace, name: u.name, uid: u.uid, status: checkReportedPodStatus(parse<unknown>(u.status_json, 'status_json')) });
            return { code: grpc.status.OK, message: '' };
          } catch (err) {
            const { code, details } = answerError(logger, err, { method: 'UpdatePodStatuses', pod: `${u.namespace}/${u.name}` });
            return { code, message: details };
          }
        }),
      ),
    })),
    RecordEvents: unary(logger, async (req) => {
      const problems: string[] = [];
      req.events_json.forEach((json, i) => {
        try {
          nodes.events.record(req.node_name, parse<Partial<Event>>(json, 'event_json'));
        } catch (err) {
          problems.push(`event ${i + 1}: ${(err as Error).message}`);
        }
      });
      return { problems };
    }),
    WatchPods: (call) =>
      serveSubscription(
        call,
        () => nodes.pods.subscribe(call.request.node_name, ({ type, pod }) => call.write({ type, object_json: JSON.stringify(pod) })),
        () => call.write({ type: INITIAL_EVENTS_END, object_json: '{}' }),
      ),
    // A BOOKMARK after the initial ADDED events, as WatchPods: the node may then forget what was not listed (stale rules, routes).
    WatchServices: (call) =>
      serveSubscription(call, () => nodes.services.subscribe((type, object) => call.write({ type, object_json: JSON.stringify(object) })), () => call.write({ type: INITIAL_EVENTS_END, object_json: '{}' })),
    WatchConfigObjects: (call) =>
      serveSubscription(
        call,
        () => nodes.configs.subscribe(call.request.node_name, ({ type, object }) => call.write({ type, object_json: JSON.stringify(object) })),
        () => call.write({ type: INITIAL_EVENTS_END, object_json: '{}' }),
      ),
    WatchNodes: (call) =>
      serveSubscription(call, () => nodes.nodeFeed.subscribe((type, object) => call.write({ type, object_json: JSON.stringify(object) })), () => call.write({ type: INITIAL_EVENTS_END, object_json: '{}' })),
  };
}
