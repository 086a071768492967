/**
 * A NodeAPI for agent tests that passes every call through to a real control plane except the
 * three of graceful termination (FinishPodTermination, ReportProxySync, WaitEndpointsDrained),
 * which it answers itself and records, so a test can see what the agent asked and when.
 * FinishPodTermination removes the pod from the store (uid-guarded), as the control plane will.
 */
import * as grpc from '@grpc/grpc-js';
import type { ObjectStore } from '../../control-plane/store/object-store.js';
import type { FinishPodTerminationRequest__Output } from '../../proto/generated/berth/v1/FinishPodTerminationRequest.js';
import type { ReportProxySyncRequest__Output } from '../../proto/generated/berth/v1/ReportProxySyncRequest.js';
import type { WaitEndpointsDrainedRequest__Output } from '../../proto/generated/berth/v1/WaitEndpointsDrainedRequest.js';
import { loadBerthProto } from '../../proto/grpc.js';
import type { Pod } from '../../proto/objects/pod.js';
import { RESOURCE } from '../../proto/resources.js';
import { callerIdentity, type CallWithAuthContext } from '../../proto/security/identity.js';
import { CONTROL_PLANE_SERVER_NAME, channelCredentials, channelOptionsFor, serverCredentials } from '../../proto/security/tls-credentials.js';
import { TEST_CONTROL_PLANE, testCredentials } from './test-pki.js';

/** A recorded call, with when it arrived (epoch ms). */
export type Recorded<T> = T & { at: number };

/** FakeNodeAPI is used to run a real agent against a real control plane with the termination calls under the test's control. */
export class FakeNodeAPI {
  readonly finished: Array<Recorded<FinishPodTerminationRequest__Output>> = [];
  readonly drainWaits: Array<Recorded<WaitEndpointsDrainedRequest__Output>> = [];
  readonly proxySyncs: Array<Recorded<ReportProxySyncRequest__Output>> = [];
  /** How long WaitEndpointsDrained takes before it answers drained (capped by the request's timeout). */
  drainDelayMs = 0;

  private constructor(private readonly server: grpc.Server, private readonly upstream: Upstream, readonly address: string) {}

  /**
   * start listens on a free port of 127.0.0.1 with a control plane's certificate of the test CA,
   * passing calls through to the control plane at `upstream` as the node that called (with that
   * node's certificate).
   */
  static async start(upstream: string, store: ObjectStore): Promise<FakeNodeAPI> {
    const service = loadBerthProto().berth.v1.NodeAPI.service;
    const client = new Upstream(upstream);
    const server = new grpc.Server();
    const handlers: grpc.UntypedServiceImplementation = {};
    let fake: FakeNodeAPI | undefined;
    for (const [name, def] of Object.entries(service)) handlers[name] = def.responseStream ? streamThrough(client, def) : unaryThrough(client, def);
    handlers.FinishPodTermination = (call: grpc.ServerUnaryCall<FinishPodTerminationRequest__Output, object>, callback: grpc.sendUnaryData<object>) => {
      const req = call.request;
      fake?.finished.push({ ...req, at: Date.now() });
      store.get(RESOURCE.pods, req.namespace, req.name).then(
        async (pod) => {
          if ((pod as Pod).metadata.uid !== req.uid) return callback({ code: grpc.status.NOT_FOUND, details: `pod ${req.namespace}/${req.name} is another instance` });
          await store.delete(RESOURCE.pods, req.namespace, req.name, pod.metadata.resourceVersion);
          callback(null, {});
        },
        () => callback({ code: grpc.status.NOT_FOUND, details: `pod ${req.namespace}/${req.name} not found` }),
      );
    };
    handlers.ReportProxySync = (call: grpc.ServerUnaryCall<ReportProxySyncRequest__Output, object>, callback: grpc.sendUnaryData<object>) => {
      fake?.proxySyncs.push({ ...call.request, at: Date.now() });
      callback(null, {});
    };
    handlers.WaitEndpointsDrained = (call: grpc.ServerUnaryCall<WaitEndpointsDrainedRequest__Output, object>, callback: grpc.sendUnaryData<object>) => {
      fake?.drainWaits.push({ ...call.request, at: Date.now() });
      const delay = Math.min(fake?.drainDelayMs ?? 0, call.request.timeout_ms);
      setTimeout(() => callback(null, { drained: delay < call.request.timeout_ms, message: '' }), delay);
    };
    server.addService(service, handlers);
    const tls = await testCredentials(TEST_CONTROL_PLANE);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', serverCredentials(tls), (err, p) => (err ? reject(err) : resolve(p))));
    fake = new FakeNodeAPI(server, client, `127.0.0.1:${port}`);
    return fake;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    this.server.forceShutdown();
    this.upstream.close();
  }
}

/** The control plane's NodeAPI, one client per calling node, each presenting that node's certificate. */
class Upstream {
  private readonly clients = new Map<string, Promise<grpc.Client>>();

  constructor(private readonly address: string) {}

  /** The client for the node that made `call` (a caller that is not a node has none: the real control plane would refuse it too). */
  for(call: CallWithAuthContext): Promise<grpc.Client> {
    const caller = callerIdentity(call);
    if (caller?.kind !== 'node') return Promise.reject(Object.assign(new Error('only nodes call NodeAPI'), { code: grpc.status.PERMISSION_DENIED }));
    let client = this.clients.get(caller.nodeName);
    if (!client) {
      client = testCredentials(caller).then((tls) => new grpc.Client(this.address, channelCredentials(tls), channelOptionsFor(CONTROL_PLANE_SERVER_NAME)));
      this.clients.set(caller.nodeName, client);
    }
    return client;
  }

  close(): void {
    for (const client of this.clients.values()) void client.then((c) => c.close());
  }
}

function unaryThrough(upstream: Upstream, def: grpc.MethodDefinition<unknown, unknown>): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    upstream.for(call).then(
      (client) => client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, call.request, call.metadata, { deadline: call.getDeadline() }, (err, res) => callback(err, res)),
      (err: grpc.ServiceError) => callback(err),
    );
  };
}

function streamThrough(upstream: Upstream, def: grpc.MethodDefinition<unknown, unknown>): grpc.handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    upstream.for(call).then(
      (client) => {
        const up = client.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, call.request, call.metadata);
        up.on('data', (d) => call.write(d));
        up.on('end', () => call.end());
        up.on('error', (err: grpc.ServiceError) => call.emit('error', err));
        call.on('cancelled', () => up.cancel());
      },
      (err: grpc.ServiceError) => call.emit('error', err),
    );
  };
}
