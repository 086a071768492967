import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { EventEmitter } from 'node:events';
import type { PeerCertificate } from 'node:tls';
import { ALLOW, deny } from '../../../control-plane/authz/decision.js';
import type { CallJudge } from '../../../control-plane/authz/judges.js';
import { authorizeClusterApi, authorizeService } from '../../../control-plane/grpc/authorized-service.js';
import { InvalidError } from '../../../control-plane/errors.js';
import { loadBerthProto } from '../../../proto/grpc.js';
import { subjectFor } from '../../../proto/security/identity.js';
import type { CallerIdentity } from '../../../proto/security/identity.js';
import { collectingLogger } from '../../support/logger.js';

/** A server call as grpc-js makes it, with the peer certificate `identity`'s subject names (none: an insecure call). */
class FakeCall extends EventEmitter {
  cancelled = false;
  readonly errors: grpc.ServiceError[] = [];
  constructor(private readonly identity: CallerIdentity | undefined, readonly request: unknown, private readonly path: string) {
    super();
    this.on('error', (err: grpc.ServiceError) => this.errors.push(err));
  }
  getPath(): string {
    return this.path;
  }
  getAuthContext(): { transportSecurityType?: string; sslPeerCertificate?: PeerCertificate } {
    if (!this.identity) return {};
    const { commonName, organizations } = subjectFor(this.identity);
    return { transportSecurityType: 'ssl', sslPeerCertificate: { subject: { CN: commonName, O: organizations.length === 1 ? organizations[0] : organizations } } as unknown as PeerCertificate };
  }
}

const proto = loadBerthProto();
const nodeApi = proto.berth.v1.NodeAPI.service;
const clusterApi = proto.berth.v1.ClusterAPI.service;
const nodeA: CallerIdentity = { kind: 'node', nodeName: 'a' };

/** Calls a unary handler and resolves with its answer. */
function callUnary(handler: unknown, call: FakeCall): Promise<{ err: grpc.ServiceError | null; value: unknown }> {
  return new Promise((resolve) => (handler as grpc.handleUnaryCall<unknown, unknown>)(call as unknown as grpc.ServerUnaryCall<unknown, unknown>, (err, value) => resolve({ err: err as grpc.ServiceError | null, value })));
}

describe('authorization gate around a service (authorizeService)', () => {
  it('runs the handler of an allowed call and never the handler of a refused one, which gets PERMISSION_DENIED and a warn log line naming the caller', async () => {
    const { logger, lines } = collectingLogger();
    const ran: string[] = [];
    const judge: CallJudge = (identity, _method, request) => ((request as { node_name: string }).node_name === (identity?.kind === 'node' ? identity.nodeName : '') ? ALLOW : deny('renew the lease of node b'));
    const gated = authorizeService(nodeApi, { Heartbeat: (call: grpc.ServerUnaryCall<{ node_name: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => (ran.push(call.request.node_name), cb(null, { lease_duration_seconds: 40 })) }, judge, logger);
    const allowed = await callUnary(gated.Heartbeat, new FakeCall(nodeA, { node_name: 'a' }, '/berth.v1.NodeAPI/Heartbeat'));
    expect(allowed).to.deep.equal({ err: null, value: { lease_duration_seconds: 40 } });
    const refused = await callUnary(gated.Heartbeat, new FakeCall(nodeA, { node_name: 'b' }, '/berth.v1.NodeAPI/Heartbeat'));
    expect(refused.err?.code).to.equal(grpc.status.PERMISSION_DENIED);
    expect(refused.err?.details).to.equal('node a may not renew the lease of node b');
    expect(ran).to.deep.equal(['a']);
    expect(lines.filter((l) => l.level === 'warn').map(({ message, caller, method, refused: what }) => ({ message, caller, method, refused: what }))).to.deep.equal([
      { message: 'permission denied', caller: 'node a', method: '/berth.v1.NodeAPI/Heartbeat', refused: 'node a may not renew the lease of node b' },
    ]);
  });

  it('ends a refused stream with PERMISSION_DENIED without running its handler; an allowed one runs', async () => {
    const { logger } = collectingLogger();
    const ran: string[] = [];
    const gated = authorizeService(nodeApi, { WatchPods: (call: grpc.ServerWritableStream<{ node_name: string }, unknown>) => ran.push(call.request.node_name) }, (identity, _m, request) => ((request as { node_name: string }).node_name === 'a' ? ALLOW : deny('watch the pods of node b')), logger);
    const refused = new FakeCall(nodeA, { node_name: 'b' }, '/berth.v1.NodeAPI/WatchPods');
    (gated.WatchPods as (c: unknown) => void)(refused);
    (gated.WatchPods as (c: unknown) => void)(new FakeCall(nodeA, { node_name: 'a' }, '/berth.v1.NodeAPI/WatchPods'));
    expect(refused.errors.map((e) => [e.code, e.details])).to.deep.equal([[grpc.status.PERMISSION_DENIED, 'node a may not watch the pods of node b']]);
    expect(ran).to.deep.equal(['a']);
  });

  it('waits for a judge that reads first, and answers a request it cannot judge with the error\'s status', async () => {
    const { logger } = collectingLogger();
    let ran = 0;
    const handlers = { FinishPodTermination: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => (ran++, cb(null, {})) };
    const later = authorizeService(nodeApi, handlers, () => new Promise((resolve) => setImmediate(() => resolve(ALLOW))), logger);
    expect((await callUnary(later.FinishPodTermination, new FakeCall(nodeA, {}, '/berth.v1.NodeAPI/FinishPodTermination'))).err).to.equal(null);
    const malformed = authorizeService(nodeApi, handlers, () => {
      throw new InvalidError('node_json: a Node must be a mapping with metadata.name');
    }, logger);
    const answer = await callUnary(malformed.FinishPodTermination, new FakeCall(nodeA, {}, '/berth.v1.NodeAPI/FinishPodTermination'));
    expect([answer.err?.code, answer.err?.details]).to.deep.equal([grpc.status.INVALID_ARGUMENT, 'node_json: a Node must be a mapping with metadata.name']);
    expect(ran).to.equal(1);
  });

  it('does not start the handler of a call whose caller went away while it was judged', async () => {
    const { logger } = collectingLogger();
    let ran = 0;
    const gated = authorizeService(nodeApi, { WaitEndpointsDrained: () => ran++ }, () => new Promise((resolve) => setImmediate(() => resolve(ALLOW))), logger);
    const call = new FakeCall(nodeA, {}, '/berth.v1.NodeAPI/WaitEndpointsDrained');
    (gated.WaitEndpointsDrained as (c: unknown, cb: () => void) => void)(call, () => undefined);
    call.cancelled = true;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).to.equal(0);
  });

  it('lets only admins reach ClusterAPI: a node, the control plane and a call without a client certificate are refused, Exec (a bidirectional stream) included', async () => {
    const { logger, lines } = collectingLogger();
    const ran: string[] = [];
    const gated = authorizeClusterApi(clusterApi, { Get: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => (ran.push('Get'), cb(null, { object_json: '{}' })), Exec: () => ran.push('Exec') }, logger);
    const callers: Array<CallerIdentity | undefined> = [{ kind: 'admin', name: 'alice' }, nodeA, { kind: 'control-plane', name: 'berth-control-plane' }, undefined];
    const answers = await Promise.all(callers.map((c) => callUnary(gated.Get, new FakeCall(c, { resource: 'leases', name: 'a' }, '/berth.v1.ClusterAPI/Get'))));
    expect(answers.map((a) => a.err?.details ?? 'ok')).to.deep.equal([
      'ok',
      'node a may not call ClusterAPI Get: ClusterAPI is for admin identities only',
      'control-plane berth-control-plane may not call ClusterAPI Get: ClusterAPI is for admin identities only',
      'an unauthenticated caller may not call ClusterAPI Get: ClusterAPI is for admin identities only',
    ]);
    const exec = new FakeCall(nodeA, undefined, '/berth.v1.ClusterAPI/Exec');
    (gated.Exec as (c: unknown) => void)(exec);
    expect(exec.errors.map((e) => e.code)).to.deep.equal([grpc.status.PERMISSION_DENIED]);
    expect(ran).to.deep.equal(['Get']);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.caller)).to.deep.equal(['node a', 'control-plane berth-control-plane', 'an unauthenticated caller', 'node a']);
  });
});
