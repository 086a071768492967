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

/** A recorded call, with when it arrived (epoch ms). */
export type Recorded<T> = T & { at: number };

/** FakeNodeAPI is used to run a real agent against a real control plane with the termination calls under the test's control. */
export class FakeNodeAPI {
  readonly finished: Array<Recorded<FinishPodTerminationRequest__Output>> = [];
  readonly drainWaits: Array<Recorded<WaitEndpointsDrainedRequest__Output>> = [];
  readonly proxySyncs: Array<Recorded<ReportProxySyncRequest__Output>> = [];
  /** How long WaitEndpointsDrained takes before it answers drained (capped by the request's timeout). */
  drainDelayMs = 0;

  private constructor(private readonly server: grpc.Server, private readonly upstream: grpc.Client, readonly address: string) {}

  /** start listens on a free port of 127.0.0.1, passing calls through to the control plane at `upstream`. */
  static async start(upstream: string, store: ObjectStore): Promise<FakeNodeAPI> {
    const service = loadBerthProto().berth.v1.NodeAPI.service;
    const client = new grpc.Client(upstream, grpc.credentials.createInsecure());
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
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    fake = new FakeNodeAPI(server, client, `127.0.0.1:${port}`);
    return fake;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    this.server.forceShutdown();
    this.upstream.close();
  }
}

function unaryThrough(client: grpc.Client, def: grpc.MethodDefinition<unknown, unknown>): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, call.request, call.metadata, { deadline: call.getDeadline() }, (err, res) => callback(err, res));
  };
}

function streamThrough(client: grpc.Client, def: grpc.MethodDefinition<unknown, unknown>): grpc.handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    const up = client.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, call.request, call.metadata);
    up.on('data', (d) => call.write(d));
    up.on('end', () => call.end());
    up.on('error', (err: grpc.ServiceError) => call.emit('error', err));
    call.on('cancelled', () => up.cancel());
  };
}
