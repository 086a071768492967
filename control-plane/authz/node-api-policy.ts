import type { FinishPodTerminationRequest__Output } from '../../proto/generated/berth/v1/FinishPodTerminationRequest.js';
import type { HeartbeatRequest__Output } from '../../proto/generated/berth/v1/HeartbeatRequest.js';
import type { RecordEventsRequest__Output } from '../../proto/generated/berth/v1/RecordEventsRequest.js';
import type { RegisterNodeRequest__Output } from '../../proto/generated/berth/v1/RegisterNodeRequest.js';
import type { RenewNodeCertificateRequest__Output } from '../../proto/generated/berth/v1/RenewNodeCertificateRequest.js';
import type { ReportProxySyncRequest__Output } from '../../proto/generated/berth/v1/ReportProxySyncRequest.js';
import type { UpdatePodStatusesRequest__Output } from '../../proto/generated/berth/v1/UpdatePodStatusesRequest.js';
import type { WaitEndpointsDrainedRequest__Output } from '../../proto/generated/berth/v1/WaitEndpointsDrainedRequest.js';
import type { WatchConfigObjectsRequest__Output } from '../../proto/generated/berth/v1/WatchConfigObjectsRequest.js';
import type { WatchNodesRequest__Output } from '../../proto/generated/berth/v1/WatchNodesRequest.js';
import type { WatchPodsRequest__Output } from '../../proto/generated/berth/v1/WatchPodsRequest.js';
import type { WatchServicesRequest__Output } from '../../proto/generated/berth/v1/WatchServicesRequest.js';
import type { Pod } from '../../proto/objects/pod.js';
import type { CallerIdentity } from '../../proto/security/identity.js';
import { InvalidError } from '../errors.js';
import { parseJsonInput } from '../api/json-input.js';
import { ALLOW, deny, firstRefusal } from './decision.js';
import type { Decision } from './decision.js';
import { describePod, podOwnership, podRef } from './pod-ownership.js';
import type { PodRef } from './pod-ownership.js';

/** The request each NodeAPI method takes, as the server decodes it. */
export interface NodeApiRequests {
  Register: RegisterNodeRequest__Output;
  Heartbeat: HeartbeatRequest__Output;
  WatchPods: WatchPodsRequest__Output;
  UpdatePodStatuses: UpdatePodStatusesRequest__Output;
  RecordEvents: RecordEventsRequest__Output;
  WatchServices: WatchServicesRequest__Output;
  WatchNodes: WatchNodesRequest__Output;
  WatchConfigObjects: WatchConfigObjectsRequest__Output;
  FinishPodTermination: FinishPodTerminationRequest__Output;
  ReportProxySync: ReportProxySyncRequest__Output;
  WaitEndpointsDrained: WaitEndpointsDrainedRequest__Output;
  RenewNodeCertificate: RenewNodeCertificateRequest__Output;
}

/**
 * NodeCallCheck is how one NodeAPI call is judged: `pods` are the pods the request names, whose
 * stored copies (undefined: none) `decide` needs, in the same order. Both steps are pure; reading
 * the pods is the caller's (StoredPodLookup).
 */
export interface NodeCallCheck {
  pods: PodRef[];
  decide(stored: ReadonlyArray<Pod | undefined>): Decision;
}

const decided = (decision: Decision): NodeCallCheck => ({ pods: [], decide: () => decision });

/**
 * nodeApiCheck: what `identity` may do through NodeAPI. A node acts only for itself: every
 * request names the caller's own node, Register registers it, and the pods a call touches
 * (status, termination, drain, events) are bound to it — judged on the stored pod, never on the
 * request. A pod that is gone (or is another instance now) is left to the handler, which answers
 * NOT_FOUND as it always has. Admins may call NodeAPI as any node; other identities not at all.
 * Throws InvalidError when the request is too malformed to tell what it is about (Register).
 */
export function nodeApiCheck(identity: CallerIdentity | undefined, method: string, request: unknown): NodeCallCheck {
  if (identity?.kind === 'admin') return decided(ALLOW);
  if (identity?.kind !== 'node') return decided(deny(`call NodeAPI ${method}: NodeAPI is for node identities`));
  if (!isNodeApiMethod(method)) return decided(deny(`call NodeAPI ${method}: not a method nodes may call`));
  return (NODE_RULES[method] as (node: string, req: unknown) => NodeCallCheck)(identity.nodeName, request);
}

type NodeRules = { [M in keyof NodeApiRequests]: (node: string, req: NodeApiRequests[M]) => NodeCallCheck };

const NODE_RULES: NodeRules = {
  Register: (node, req) => {
    const name = registeredName(req.node_json);
    return decided(name === node ? ALLOW : deny(`register node ${name}: a node registers only itself`));
  },
  Heartbeat: (node, req) => decided(asItself(node, req.node_name, 'renew the lease of')),
  WatchPods: (node, req) => decided(asItself(node, req.node_name, 'watch the pods of')),
  WatchConfigObjects: (node, req) => decided(asItself(node, req.node_name, 'watch the ConfigMaps and Secrets of')),
  // Every node's proxy, DNS and routes need every Service, EndpointSlice and Node.
  WatchServices: (node, req) => decided(asItself(node, req.node_name, 'watch Services for')),
  WatchNodes: (node, req) => decided(asItself(node, req.node_name, 'watch Nodes for')),
  ReportProxySync: (node, req) => decided(asItself(node, req.node_name, 'report the proxy sync of')),
  UpdatePodStatuses: (node, req) => {
    const pods = req.updates.map((u) => podRef(u.namespace, u.name, u.uid));
    // One foreign pod refuses the whole call: a node that names another's pod is not trusted with the rest.
    return onOwnPods(node, req.node_name, 'report pod statuses for', pods, (pod) => `report the status of pod ${describePod(pod)}`, ` (none of the ${pods.length} statuses in the call was written)`);
  },
  FinishPodTermination: (node, req) => onOwnPods(node, req.node_name, 'finish pods for', [podRef(req.namespace, req.name, req.uid)], (pod) => `remove pod ${describePod(pod)}`),
  WaitEndpointsDrained: (node, req) => onOwnPods(node, req.node_name, 'wait for the endpoints of pods for', [podRef(req.namespace, req.name, req.uid)], (pod) => `wait for the endpoints of pod ${describePod(pod)}`),
  // The request names no node: the new certificate gets the identity of the one the call was made with.
  RenewNodeCertificate: () => decided(ALLOW),
  RecordEvents: (node, req) => {
    const speaking = asItself(node, req.node_name, 'record events for');
    if (!speaking.allowed) return decided(speaking);
    const subjects = req.events_json.map(eventSubject);
    const notAboutPods = firstRefusal(subjects.map((s) => (s ? eventSubjectDecision(node, s) : ALLOW)));
    if (!notAboutPods.allowed) return decided(notAboutPods);
    const pods = subjects.flatMap((s) => (s?.kind === 'Pod' ? [podRef(s.namespace, s.name, s.uid)] : []));
    return onOwnPods(node, req.node_name, 'record events for', pods, (pod) => `record an event about pod ${describePod(pod)}`);
  },
};

function isNodeApiMethod(method: string): method is keyof NodeApiRequests {
  return Object.prototype.hasOwnProperty.call(NODE_RULES, method);
}

/** Allows a request that names the caller's own node, refuses one that names another. */
function asItself(node: string, named: string, action: string): Decision {
  return named === node ? ALLOW : deny(`${action} ${named ? `node ${named}` : 'an unnamed node'}: a node acts only for itself`);
}

/** A check that the request names the caller's node and that none of `pods` is bound to another. */
function onOwnPods(node: string, named: string, action: string, pods: PodRef[], refusal: (pod: PodRef) => string, note = ''): NodeCallCheck {
  const speaking = asItself(node, named, action);
  if (!speaking.allowed) return decided(speaking);
  return {
    pods,
    decide: (stored) => firstRefusal(pods.map((pod, i) => (podOwnership(stored[i], pod, node) === 'foreign' ? deny(`${refusal(pod)}: it is not bound to node ${node}${note}`) : ALLOW))),
  };
}

/** Events about the node's own Node are allowed, and about pods (judged on the stored pod); about anything else, refused. */
function eventSubjectDecision(node: string, about: EventSubject): Decision {
  if (about.kind === 'Pod') return ALLOW;
  if (about.kind === 'Node') return about.name === node ? ALLOW : deny(`record an event about node ${about.name}: only about its own Node and its pods`);
  return deny(`record an event about ${about.kind} ${about.name}: only about its own Node and its pods`);
}

/** The metadata.name of the Node a Register request carries; InvalidError when it has none. */
function registeredName(nodeJson: string): string {
  const node = parseJsonInput(nodeJson, 'node_json') as { metadata?: { name?: unknown } } | null;
  const name = typeof node === 'object' && node !== null && !Array.isArray(node) ? node.metadata?.name : undefined;
  if (typeof name !== 'string' || !name) throw new InvalidError('node_json: a Node must be a mapping with metadata.name');
  return name;
}

/** What an event is about (its involvedObject). */
interface EventSubject {
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

/** What an event is about, or undefined for an event the handler refuses as malformed anyway (it reports it as a problem). */
function eventSubject(json: string): EventSubject | undefined {
  let event: unknown;
  try {
    event = parseJsonInput(json, 'event_json');
  } catch {
    return undefined;
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const about = (event as { involvedObject?: unknown }).involvedObject;
  if (typeof about !== 'object' || about === null) return undefined;
  const { kind, name, namespace, uid } = about as Record<string, unknown>;
  if (typeof kind !== 'string' || !kind || typeof name !== 'string' || !name) return undefined;
  return { kind, name, ...(typeof namespace === 'string' ? { namespace } : {}), ...(typeof uid === 'string' ? { uid } : {}) };
}
