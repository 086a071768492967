import type { Logger } from 'winston';
import { isReady } from '../../proto/objects/conditions.js';
import type { Node } from '../../proto/objects/cluster.js';
import { RESOURCE } from '../../proto/resources.js';
import type { ObjectStore } from '../store/object-store.js';
import { checkNodeName, type NodeCertificateIssuer } from './node-certificates.js';
import type { TokenAuthenticator } from './token-authenticator.js';

/** Raised when a join names a node that is Ready: joining would take over a working node's pods. */
export class NodeNameTakenError extends Error {
  override readonly name = 'NodeNameTakenError';
}

/** What a joining machine sends: its bootstrap token, the name it will register as, and a CSR for its own key. */
export interface JoinRequest {
  token: string;
  nodeName: string;
  csrPem: string;
}

/** A joined node's credentials (the key stays on the node). */
export interface IssuedNodeCertificate {
  certificatePem: string;
  caPem: string;
  /** Where the node's agent then talks to the control plane (NodeAPI), on the host it joined through. */
  nodeApiPort: number;
}

/**
 * NodeJoin is used by BootstrapAPI.JoinNode: the cheap checks first (the node name's form), then
 * the token, then whether a Ready node already has the name (kubeadm refuses that join: the name
 * would take over a working node's pods), then the certificate.
 */
export class NodeJoin {
  constructor(
    private readonly store: ObjectStore,
    private readonly tokens: TokenAuthenticator,
    private readonly issuer: NodeCertificateIssuer,
    private readonly logger: Logger,
    private readonly nodeApiPort: number,
  ) {}

  async join(request: JoinRequest): Promise<IssuedNodeCertificate> {
    checkNodeName(request.nodeName);
    const token = await this.tokens.authenticate(request.token);
    const existing = (await this.store.tryGet(RESOURCE.nodes, undefined, request.nodeName)) as Node | undefined;
    if (existing && isReady(existing)) {
      throw new NodeNameTakenError(`a Node named "${request.nodeName}" is Ready in the cluster: delete it first (berth delete node ${request.nodeName}) or join with another --node-name`);
    }
    const certificatePem = await this.issuer.issue(request.nodeName, request.csrPem);
    this.logger.info('node joined with a bootstrap token', { node: request.nodeName, token: token.id });
    return { certificatePem, caPem: this.issuer.caPem, nodeApiPort: this.nodeApiPort };
  }
}
