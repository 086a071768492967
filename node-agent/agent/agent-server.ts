import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'winston';
import type { AgentAPIHandlers } from '../../proto/generated/berth/v1/AgentAPI.js';
import { GRPC_MAX_MESSAGE_BYTES, loadBerthProto } from '../../proto/grpc.js';
import { serverCredentials, type TlsMaterial } from '../../proto/security/tls-credentials.js';
import type { Runtime } from '../runtime/index.js';
import { serveExec } from './exec-handler.js';
import type { PodManager } from './pod-manager.js';
import { allContainers } from './init-progress.js';

function failure(code: grpc.status, message: string): grpc.ServiceError {
  return Object.assign(new Error(message), { code, details: message, metadata: new grpc.Metadata() });
}

/**
 * agentApiHandlers serves AgentAPI.Logs from the runtime's log of the container's current (or
 * previous) instance, and AgentAPI.Exec through Runtime.exec (exec-handler.ts).
 */
export function agentApiHandlers(pods: PodManager, runtime: Runtime, logger: Logger): AgentAPIHandlers {
  return {
    Logs: (call) => {
      const req = call.request;
      const namespace = req.namespace || 'default';
      const worker = pods.find(namespace, req.pod);
      if (!worker) return void call.emit('error', failure(grpc.status.NOT_FOUND, `pod ${namespace}/${req.pod} does not run on this node`));
      const names = allContainers(worker.spec).map((c) => c.name);
      const container = req.container || worker.spec.spec.containers[0]?.name || '';
      if (!names.includes(container)) return void call.emit('error', failure(grpc.status.INVALID_ARGUMENT, `container ${container} is not valid for pod ${req.pod}: choose one of ${names.join(', ')}`));
      const id = worker.instanceId(container, req.previous);
      const waiting = worker.waitingReason(container);
      if (!id && !req.previous && waiting) {
        return void call.emit('error', failure(grpc.status.FAILED_PRECONDITION, `container "${container}" in pod "${req.pod}" is waiting to start: ${waiting}`));
      }
      if (!id) {
        const what = req.previous ? 'previous terminated container' : 'container';
        return void call.emit('error', failure(grpc.status.NOT_FOUND, `${what} "${container}" in pod "${req.pod}" not found`));
      }
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      call.on('close', () => abort.abort());
      void (async () => {
        try {
          const options = { follow: req.follow, signal: abort.signal, ...(req.tail_lines > 0 ? { tail: req.tail_lines } : {}) };
          for await (const entry of runtime.logs(id, options)) {
            if (!call.write({ data: Buffer.from(`${entry.text}\n`) })) await new Promise((resolve) => call.once('drain', resolve));
          }
          call.end();
        } catch (err) {
          if (!abort.signal.aborted) {
            logger.warn('log stream failed', { container: id, error: String(err) });
            call.emit('error', failure(grpc.status.INTERNAL, err instanceof Error ? err.message : String(err)));
          }
        }
      })();
    },
    Exec: (call) => serveExec(call, pods, runtime, logger),
  };
}

/**
 * startAgentServer binds AgentAPI on host:port, TLS only with the node's certificate (`tls`) and
 * client certificates of the cluster CA required, and resolves with the bound port. `handlers`
 * should admit the control plane only (onlyControlPlane).
 */
export async function startAgentServer(host: string, port: number, tls: TlsMaterial, handlers: AgentAPIHandlers): Promise<{ server: grpc.Server; port: number }> {
  const proto = loadBerthProto();
  const server = new grpc.Server({ 'grpc.max_send_message_length': GRPC_MAX_MESSAGE_BYTES });
  server.addService(proto.berth.v1.AgentAPI.service, handlers);
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const bound = await new Promise<number>((resolve, reject) => server.bindAsync(address, serverCredentials(tls), (err, p) => (err ? reject(err) : resolve(p))));
  return { server, port: bound };
}
