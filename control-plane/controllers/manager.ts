import type { Logger } from 'winston';
import type { EventSink } from '../events/event-recorder.js';
import type { ObjectStore } from '../store/object-store.js';
import { DaemonSetController } from './daemonset-controller.js';
import { DeploymentController } from './deployment-controller.js';
import { EndpointSliceController } from './endpointslice-controller.js';
import { LoadBalancerController } from './loadbalancer-controller.js';
import { GC_RESOURCES, GarbageCollector } from './garbage-collector.js';
import { JobController } from './job-controller.js';
import { NodeLifecycleController } from './node-lifecycle-controller.js';
import { ReplicaSetController } from './replicaset-controller.js';
import type { Informer } from '../watch/informer.js';
import { SharedInformers } from '../watch/shared-informers.js';

/** Least time between two status writes of one ReplicaSet, Deployment, DaemonSet or Job (StatusPacer explains why). */
const STATUS_INTERVAL_MS = 250;

/** Runnable is anything that runs until its signal aborts: every controller, and the scheduler. */
export interface Runnable {
  start(signal: AbortSignal): Promise<void>;
}

/** ControllerManagerOptions gather the controllers' flags. */
export interface ControllerManagerOptions {
  /**
   * alsoRun builds more leader-only workers on the same shared informers (the scheduler, for
   * one: `(i) => [new Scheduler(store, i.forResource('pods'), i.forResource('nodes'), ...)]`),
   * so each resource is watched once. Called once per term, before the informers start.
   */
  alsoRun?: (informers: SharedInformers) => Runnable[];
  /**
   * Informers that outlive a leadership term (the control plane's pod informer, which NodeAPI
   * uses too): each term borrows them instead of listing and watching those resources again.
   */
  borrowedInformers?: Informer[];
  /** --node-grace-period: lease silence before a node is NotReady (default 5000 ms). */
  nodeGracePeriodMs?: number;
  replicaSetWorkers?: number;
  deploymentWorkers?: number;
  garbageCollectorWorkers?: number;
  endpointSliceWorkers?: number;
}

/**
 * ControllerManager runs every controller of the control plane on shared informers, so the lead
 * wires one thing under leader election.
 *
 * Lifecycle: start(signal) builds fresh informers and controllers (a new term of leadership
 * never reuses a previous term's caches), waits for the informers to sync, starts the controllers'
 * workers, and resolves; the workers run until `signal` aborts or stop() is called, after which
 * the informers are stopped. start() may be called again after that, for the next term.
 */
export class ControllerManager {
  private running: { abort: AbortController; informers: SharedInformers; workers: Promise<void> } | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly events: EventSink,
    private readonly logger: Logger,
    private readonly options: ControllerManagerOptions = {},
  ) {}

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  async start(signal: AbortSignal): Promise<void> {
    if (this.running) await this.stop();
    if (signal.aborted) return;
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const informers = new SharedInformers(this.store, this.logger, this.options.borrowedInformers);
    const pods = informers.forResource('pods');
    const replicaSets = informers.forResource('replicasets');
    const deployments = informers.forResource('deployments');
    const nodes = informers.forResource('nodes');
    const leases = informers.forResource('leases');
    const services = informers.forResource('services');
    const endpointSlices = informers.forResource('endpointslices');
    const endpoints = informers.forResource('endpoints');
    const daemonSets = informers.forResource('daemonsets');
    const jobs = informers.forResource('jobs');
    const { store, events, logger, options } = this;
    const controllers: Runnable[] = [
      new ReplicaSetController(store, replicaSets, pods, events, logger.child({ controller: 'replicaset' }), { workers: options.replicaSetWorkers ?? 4, statusIntervalMs: STATUS_INTERVAL_MS }),
      new DeploymentController(store, deployments, replicaSets, events, logger.child({ controller: 'deployment' }), { workers: options.deploymentWorkers ?? 2, statusIntervalMs: STATUS_INTERVAL_MS }),
      new DaemonSetController(store, daemonSets, pods, nodes, events, logger.child({ controller: 'daemonset' }), { statusIntervalMs: STATUS_INTERVAL_MS }),
      new JobController(store, jobs, pods, events, logger.child({ controller: 'job' }), { statusIntervalMs: STATUS_INTERVAL_MS }),
      new NodeLifecycleController(store, nodes, leases, pods, events, logger.child({ controller: 'node-lifecycle' }), { gracePeriodMs: options.nodeGracePeriodMs ?? 5000 }),
      new EndpointSliceController(store, services, pods, endpointSlices, logger.child({ controller: 'endpointslice' }), { workers: options.endpointSliceWorkers ?? 4 }, endpoints),
      new LoadBalancerController(store, services, nodes, logger.child({ controller: 'loadbalancer' })),
      new GarbageCollector(store, GC_RESOURCES.map((r) => informers.forResource(r.resource)), events, logger.child({ controller: 'garbage-collector' }), { workers: options.garbageCollectorWorkers ?? 2 }),
      ...(options.alsoRun?.(informers) ?? []),
    ];
    try {
      await informers.start();
    } catch (err) {
      signal.removeEventListener('abort', onAbort);
      throw err;
    }
    // A runnable that fails is logged; the others keep running, and the informers stop only when all have ended.
    const runs = controllers.map((c) =>
      c.start(abort.signal).catch((err: unknown) => {
        logger.error('a leader-only worker stopped with an error', { worker: c.constructor.name, error: err instanceof Error ? err.message : String(err) });
      }),
    );
    const workers = Promise.allSettled(runs)
      .then(() => undefined)
      .finally(() => {
        signal.removeEventListener('abort', onAbort);
        informers.stop();
        if (this.running?.abort === abort) this.running = undefined;
      });
    this.running = { abort, informers, workers };
    // Leadership may have been lost while the informers were syncing.
    if (signal.aborted) abort.abort();
    logger.info('controllers started', { controllers: ['replicaset', 'deployment', 'daemonset', 'job', 'node-lifecycle', 'endpointslice', 'loadbalancer', 'garbage-collector'] });
  }

  /** stop ends the workers (each finishes its current key) and the informers. */
  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (!running) return;
    running.abort.abort();
    await running.workers;
  }
}
