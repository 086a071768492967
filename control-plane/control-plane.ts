import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type { Etcd3 } from 'etcd3';
import type { Logger } from 'winston';
import { DEFAULT_NAMESPACE } from '../proto/resources.js';
import { startGrpcServer } from './api/grpc-server.js';
import { NodeOperations } from './api/node-operations.js';
import { ObjectService } from './api/object-service.js';
import { EmbeddedEtcd } from './etcd/embedded-etcd.js';
import { connectEtcd } from './store/etcd-client.js';
import { ObjectStore } from './store/object-store.js';
import { NodeService } from './nodes/node-service.js';

/** ControlPlaneOptions mirror the berth-control-plane flags. */
export interface ControlPlaneOptions {
  /** host:port for ClusterAPI, e.g. 127.0.0.1:6443 (port 0 picks a free one). */
  listen: string;
  /** External etcd endpoints; when empty an embedded etcd is started under dataDir. */
  etcdEndpoints: string[];
  dataDir: string;
  embeddedEtcdClientPort: number;
  embeddedEtcdPeerPort: number;
  logger: Logger;
}

/**
 * ControlPlane is one control-plane replica: stateless apart from etcd. Lifecycle: start() brings
 * up the embedded etcd (if no endpoints were given), connects, makes sure the `default`
 * namespace exists, and serves ClusterAPI; stop() undoes it in reverse order.
 */
export class ControlPlane {
  private etcd: EmbeddedEtcd | undefined;
  private client: Etcd3 | undefined;
  private server: grpc.Server | undefined;
  private nodes: NodeService | undefined;
  port = 0;

  constructor(private readonly options: ControlPlaneOptions) {}

  async start(): Promise<void> {
    const { logger } = this.options;
    let endpoints = this.options.etcdEndpoints;
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
      this.client = connectEtcd(endpoints);
      const store = new ObjectStore(this.client);
      const service = new ObjectService(store, logger);
      await service.ensureNamespace(DEFAULT_NAMESPACE);
      this.nodes = new NodeService(store, logger);
      const { server, port } = await startGrpcServer(this.options.listen, service, new NodeOperations(store, logger), logger, this.nodes);
      this.server = server;
      this.port = port;
      logger.info('ClusterAPI serving', { listen: this.options.listen, port, etcd: endpoints });
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
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
