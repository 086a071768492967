/**
 * The acting half of a probe attempt: an exec in the container (Runtime.exec), an HTTP GET, or
 * a TCP connect. HTTP and TCP need no process: the agent connects from the node's network
 * namespace to the pod's IP (the node routes to its pods), with Node's own sockets; a pod
 * without an IP (loopback only) is reached on its loopback from inside its network namespace
 * (the addon's netnsConnect, a thread for the connect). Every attempt ends within its timeout,
 * and whatever it started (a connection, an exec'd process) ends with it.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Readable } from 'node:stream';
import * as tls from 'node:tls';
import { netnsConnect } from '../native/index.js';
import { ContainerNotFoundError, ContainerNotRunningError, ExecFailedError, type Runtime } from '../runtime/index.js';
import type { ProbeAction, ProbePlan } from './probe-plan.js';
import type { ProbeOutcome } from './probe-state.js';

/** ProbeTarget is used to say what an attempt probes: the container instance, and how to reach its pod. */
export interface ProbeTarget {
  containerId: string;
  /** The pod's IP, where httpGet and tcpSocket connect unless the probe names a host. */
  podIP?: string;
  /** The pod's network namespace: without a pod IP, httpGet and tcpSocket connect to its loopback from inside it. */
  netnsPath?: string;
}

/** Dial opens a TCP connection for one attempt. */
type Dial = (host: string, port: number, timeoutMs: number, signal: AbortSignal) => Promise<net.Socket>;

/** How much of an exec probe's output, or an HTTP body, is read: Kubernetes' limit. */
const MAX_OUTPUT_BYTES = 10 * 1024;

/**
 * withTimeout runs `attempt` and answers a failure saying `timedOut` once `timeoutMs` has passed
 * without an outcome; the attempt's signal is aborted then, and when it ends anyway.
 */
export async function withTimeout(attempt: (signal: AbortSignal) => Promise<ProbeOutcome>, timeoutMs: number, timedOut: string): Promise<ProbeOutcome> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<ProbeOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ result: 'failure', message: timedOut }), timeoutMs);
  });
  try {
    return await Promise.race([attempt(abort.signal), late]);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

/** ProbeChecker is used by the probers of every pod to make one attempt of a probe. */
export class ProbeChecker {
  constructor(private readonly runtime: Pick<Runtime, 'exec'>) {}

  /** One attempt of `plan` against `target`, within the plan's timeout. */
  check(plan: ProbePlan, target: ProbeTarget): Promise<ProbeOutcome> {
    return this.run(plan.action, target, plan.timeoutMs);
  }

  /** run makes `action` once against `target` within `timeoutMs`: a probe attempt, or a lifecycle hook's exec or httpGet. */
  run(action: ProbeAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
    if (action.kind === 'exec') {
      return withTimeout((signal) => this.exec(action.command, target.containerId, signal), timeoutMs, `command ${JSON.stringify(action.command.join(' '))} timed out`);
    }
    const route = routeTo(action.host, target);
    if (!route) return Promise.resolve({ result: 'error', message: 'the pod has no IP address to probe yet' });
    if (typeof action.port !== 'number') return Promise.resolve({ result: 'error', message: action.port.error });
    const { host, dial } = route;
    const port = action.port;
    if (action.kind === 'tcpSocket') return withTimeout((signal) => tcpConnect(dial, host, port, timeoutMs, signal), timeoutMs, `dial tcp ${hostPort(host, port)}: i/o timeout`);
    const url = `${action.scheme}://${hostPort(host, port)}${action.path}`;
    return withTimeout((signal) => httpGet(action, dial, host, port, url, timeoutMs, signal), timeoutMs, `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`);
  }

  private async exec(command: string[], containerId: string, signal: AbortSignal): Promise<ProbeOutcome> {
    let exec;
    try {
      exec = await this.runtime.exec(containerId, { command });
    } catch (err) {
      if (err instanceof ExecFailedError) return { result: 'failure', message: err.reason };
      if (err instanceof ContainerNotRunningError || err instanceof ContainerNotFoundError) return { result: 'error', message: err.message };
      throw err;
    }
    // Started after the timeout: this attempt's answer is no longer awaited.
    if (signal.aborted) exec.kill();
    signal.addEventListener('abort', () => exec.kill(), { once: true });
    const [out, err, code] = await Promise.all([head(exec.stdout), head(exec.stderr), exec.exit]);
    if (code === 0) return { result: 'success' };
    const output = (out + err).slice(0, MAX_OUTPUT_BYTES).trim();
    return { result: 'failure', message: output || `command ${JSON.stringify(command.join(' '))} exited with code ${code}` };
  }
}

/** The first MAX_OUTPUT_BYTES of a stream, which is read to its end all the same. */
async function head(stream: Readable | null): Promise<string> {
  if (!stream) return '';
  let kept = '';
  for await (const chunk of stream) if (kept.length < MAX_OUTPUT_BYTES) kept += (chunk as Buffer).toString('utf8');
  return kept;
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Where an httpGet or tcpSocket attempt connects, and how: a named host or the pod IP from the node, else the pod's loopback from inside it. */
function routeTo(named: string | undefined, target: ProbeTarget): { host: string; dial: Dial } | undefined {
  if (named) return { host: named, dial: dialFromNode };
  if (target.podIP) return { host: target.podIP, dial: dialFromNode };
  if (target.netnsPath) return { host: '127.0.0.1', dial: dialInNetns(target.netnsPath) };
  return undefined;
}

const dialFromNode: Dial = (host, port, _timeoutMs, signal) =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    signal.addEventListener('abort', () => socket.destroy(), { once: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });

function dialInNetns(netnsPath: string): Dial {
  return async (host, port, timeoutMs, signal) => {
    const socket = new net.Socket({ fd: await netnsConnect(netnsPath, host, port, timeoutMs), readable: true, writable: true });
    if (signal.aborted) socket.destroy();
    signal.addEventListener('abort', () => socket.destroy(), { once: true });
    return socket;
  };
}

/** A connect failure in Node's words, e.g. "connect ECONNREFUSED 10.244.1.5:8080". */
function connectError(err: unknown, host: string, port: number): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `connect ${code} ${hostPort(host, port)}` : String((err as Error).message ?? err);
}

async function tcpConnect(dial: Dial, host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<ProbeOutcome> {
  try {
    (await dial(host, port, timeoutMs, signal)).destroy();
    return { result: 'success' };
  } catch (err) {
    return { result: 'failure', message: `dial tcp ${hostPort(host, port)}: ${connectError(err, host, port)}` };
  }
}

async function httpGet(action: Extract<ProbeAction, { kind: 'httpGet' }>, dial: Dial, host: string, port: number, url: string, timeoutMs: number, signal: AbortSignal): Promise<ProbeOutcome> {
  let socket: net.Socket;
  try {
    socket = await dial(host, port, timeoutMs, signal);
  } catch (err) {
    return { result: 'failure', message: `Get "${url}": ${connectError(err, host, port)}` };
  }
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/berth', Accept: '*/*' };
  // Given headers replace the defaults of the same name (Host too), as Kubernetes does.
  for (const h of action.headers) {
    for (const k of Object.keys(headers)) if (k.toLowerCase() === h.name.toLowerCase()) delete headers[k];
    headers[h.name] = h.value;
  }
  // A probe does not check certificates, as Kubernetes' does not.
  const connection = action.scheme === 'https' ? tls.connect({ socket, rejectUnauthorized: false, ...(net.isIP(host) ? {} : { servername: host }) }) : socket;
  signal.addEventListener('abort', () => connection.destroy(), { once: true });
  const request = action.scheme === 'https' ? https.request : http.request;
  return new Promise((resolve) => {
    const req = request({ host, port, path: action.path, method: 'GET', headers, createConnection: () => connection }, (res) => {
      const status = res.statusCode ?? 0;
      // The body is not looked at; a little is read so the server is not cut off mid-write.
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_OUTPUT_BYTES) res.destroy();
      });
      res.on('error', () => undefined);
      res.on('close', () => {
        connection.destroy();
        resolve(status >= 200 && status < 400 ? { result: 'success' } : { result: 'failure', message: `HTTP probe failed with statuscode: ${status}` });
      });
    });
    req.once('error', (err) => {
      connection.destroy();
      resolve({ result: 'failure', message: `Get "${url}": ${err.message}` });
    });
    req.end();
  });
}
