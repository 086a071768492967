import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type { EtcdClient } from './store/etcd-client.js';
import type { Logger } from 'winston';
import { DEFAULT_NAMESPACE } from '../proto/resources.js';
import { startGrpcServer } from './grpc/server.js';
import type { Ipv4Range } from '../proto/ipv4.js';
import { KubernetesService, advertisedIp } from './api/kubernetes-service.js';
import { NodeOperations } from './api/node-operations.js';
import { ObjectService } from './api/object-service.js';
import { EmbeddedEtcd } from './etcd/embedded-etcd.js';
import { connectEtcd } from './store/etcd-client.js';
import { ObjectStore } from './store/object-store.js';
import { NodeService } from './nodes/node-service.js';
import { ControllerManager } from './controllers/manager.js';
import { EventRecorder } from './events/event-recorder.js';
import { EventWriter } from './events/event-writer.js';
import { LeaderElection } from './leader/leader-election.js';
import { Scheduler } from './scheduler/scheduler.js';
import { loadSecretEncryption, reencryptSecrets } from './store/encryption/secret-encryption.js';
import type { EtcdTls } from './store/etcd-tls.js';
import { describeEtcdFailure } from './store/etcd-failure.js';
import type { ControlPlanePki } from './tls/control-plane-pki.js';

/** ControlPlaneOptions mirror the berth-control-plane flags. */
export interface ControlPlaneOptions {
  /** host:port for ClusterAPI, e.g. 127.0.0.1:6443 (port 0 picks a free one). */
  listen: string;
  /** External etcd endpoints; when empty an embedded etcd is started under dataDir. */
  etcdEndpoints: string[];
  /** TLS towards the external etcd (--etcd-cafile, --etcd-certfile, --etcd-keyfile); only with etcdEndpoints. */
  etcdTls?: EtcdTls;
  /** The control plane's certificates (--pki-dir): it serves TLS only and requires client certificates. */
  pki: ControlPlanePki;
  dataDir: string;
  embeddedEtcdClientPort: number;
  embeddedEtcdPeerPort: number;
  logger: Logger;
  /** Lease silence after which a node is NotReady and its pods are replaced (default 5 s). */
  nodeGracePeriodMs?: number;
  /** --service-cluster-ip-range: the CIDR ClusterIPs come from (default 10.96.0.0/16). */
  serviceClusterIpRange?: Ipv4Range;
  /**
   * Campaign for leadership and, when leading, run the controllers and the scheduler (default).
   * false makes an API-only replica: it serves ClusterAPI and NodeAPI and never leads.
   */
  runControllers?: boolean;
  /**
   * The Secret encryption key file (`<name>:<base64 of 32 bytes>` per line; the first key
   * encrypts, all decrypt), created with one fresh key when missing. Default: <dataDir>/encryption-keys.
   */
  encryptionKeyFile?: string;
}

/**
 * ControlPlane is one control-plane replica: stateless apart from etcd. Lifecycle: start() brings
 * up the embedded etcd (if no endpoints were given), connects, reads the Secret encryption keys
 * (re-encrypting, in the background, Secrets not under the first key), makes sure the `default`
 * namespace exists, serves ClusterAPI and NodeAPI, joins the `kubernetes` Service's endpoints
 * (creating the Service if it is missing), and campaigns for leadership: the replica
 * that leads runs the controllers and the scheduler (on one set of shared informers). stop()
 * undoes it in reverse order, resigning leadership so another replica takes over at once.
 */
export class ControlPlane {
  private etcd: EmbeddedEtcd | undefined;
  private client: EtcdClient | undefined;
  private server: grpc.Server | undefined;
  private nodes: NodeService | undefined;
  private controllers: ControllerManager | undefined;
  private election: LeaderElection | undefined;
  private kubernetesService: KubernetesService | undefined;
  port = 0;

  constructor(private readonly options: ControlPlaneOptions) {}

  async start(): Promise<void> {
    const { logger } = this.options;
    let endpoints = this.options.etcdEndpoints;
    if (this.options.etcdTls && endpoints.length === 0) throw new Error('etcd TLS options apply to external etcd endpoints only: the embedded etcd listens on loopback without TLS');
    try {
      if (endpoints.length === 0) {
        this.etcd = new EmbeddedEtcd({
          dataDir: join(this.options.dataDir, 'etcd'),
          clientPort: this.options.embeddedEtcdClientPort,
          peerPort: this.options.embeddedEtcdPeerPort,
          supervise: true,
          logger,
        });
        await this.etcd.start();
        endpoints = [this.etcd.endpoint];
        logger.info('embedded etcd ready', { endpoint: this.etcd.endpoint, pid: this.etcd.pid });
      }
      this.client = connectEtcd(endpoints, this.options.etcdTls);
      const encryption = loadSecretEncryption(this.options.encryptionKeyFile ?? join(this.options.dataDir, 'encryption-keys'), logger);
      const store = new ObjectStore(this.client, encryption);
      // After a key rotation, Secrets still under an older key are rewritten under the first one.
      reencryptSecrets(store, encryption.cipher).then(
        ({ rewritten, unreadable }) => {
          logger.info('Secrets encrypted with the first key', { key: encryption.cipher.primaryKeyName, rewritten });
          if (unreadable.length > 0) logger.error('Secrets no key of the encryption key file decrypts: add their key back', { keys: unreadable });
        },
        (err: unknown) => logger.warn('could not re-encrypt Secrets with the first key; restart to try again', { error: err instanceof Error ? err.message : String(err) }),
      );
      const service = new ObjectService(store, logger, this.options.serviceClusterIpRange ? { serviceIpRange: this.options.serviceClusterIpRange } : {});
      // The first etcd request: a failure here (TLS refused, wrong CA, unreachable) is reported for what it is.
      await service.ensureNamespace(DEFAULT_NAMESPACE).catch((err: unknown) => {
        throw describeEtcdFailure(err, endpoints, this.options.etcdTls, this.etcd === undefined);
      });
      service.compileSchemas();
      // One EventWriter per process: the events of agents, controllers and scheduler share its group commit.
      const events = new EventWriter(store);
      this.nodes = new NodeService(store, logger, events, this.options.pki.tls);
      const { server, port } = await startGrpcServer(this.options.listen, this.options.pki.tls, service, new NodeOperations(store, logger), logger, this.nodes);
      this.server = server;
      this.port = port;
      logger.info('ClusterAPI serving (TLS, client certificates required)', { listen: this.options.listen, port, etcd: endpoints, issuesCertificates: this.options.pki.authority !== undefined });
      const host = this.options.listen.slice(0, Math.max(0, this.options.listen.lastIndexOf(':'))).replace(/^\[|\]$/g, '');
      this.kubernetesService = new KubernetesService(store, service, { ip: advertisedIp(host), port }, logger);
      await this.kubernetesService.start();
      if (this.options.runControllers ?? true) this.startLeaderWork(store, this.nodes, events);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Controllers and the scheduler run only on the leader, under one leadership term at a time. */
  private startLeaderWork(store: ObjectStore, nodes: NodeService, events: EventWriter): void {
    const { logger } = this.options;
    const controllers = new ControllerManager(store, new EventRecorder(events, 'controller-manager', logger), logger, {
      ...(this.options.nodeGracePeriodMs === undefined ? {} : { nodeGracePeriodMs: this.options.nodeGracePeriodMs }),
      // One pod informer per process: every pod change is decoded once, not once for NodeAPI and once for the leader.
      borrowedInformers: [nodes.pods.informer],
      alsoRun: (informers) => [
        new Scheduler(store, informers.forResource('pods'), informers.forResource('nodes'), new EventRecorder(events, 'default-scheduler', logger), logger.child({ component: 'scheduler' })),
      ],
    });
    this.controllers = controllers;
    this.election = new LeaderElection(store, { onStartedLeading: (signal) => controllers.start(signal) }, logger, { name: 'controllers' });
    this.election.start();
  }

  async stop(): Promise<void> {
    await this.kubernetesService?.stop().catch((err: unknown) => this.options.logger.warn('could not withdraw from the kubernetes Service', { error: String(err) }));
    this.kubernetesService = undefined;
    await this.election?.stop();
    this.election = undefined;
    await this.controllers?.stop();
    this.controllers = undefined;
    const server = this.server;
    this.server = undefined;
    if (server) {
      await new Promise<void>((resolve) => {
        // Give in-flight calls a moment, then cut streams (watches never end on their own).
        const timer = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.nodes?.stop();
    this.nodes = undefined;
    this.client?.close();
    this.client = undefined;
    await this.etcd?.stop();
    this.etcd = undefined;
  }
}
