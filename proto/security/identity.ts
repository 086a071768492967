// Who is calling: identities are read from the verified client certificate of the gRPC call,
// with Kubernetes' conventions for the subject so that certificates look familiar:
//   node      CN=system:node:<node name>   O=system:nodes
//   admin     CN=<user name>               O=system:masters
//   control   CN=berth-control-plane       O=berth:control-planes  (calls agents: logs, exec)
import type { PeerCertificate } from 'node:tls';
import type { CertificateSubject } from './pki.js';

export const NODE_GROUP = 'system:nodes';
export const NODE_NAME_PREFIX = 'system:node:';
export const ADMIN_GROUP = 'system:masters';
export const CONTROL_PLANE_GROUP = 'berth:control-planes';
export const CONTROL_PLANE_NAME = 'berth-control-plane';

/** A caller the control plane or an agent has authenticated by its certificate. */
export type CallerIdentity =
  | { kind: 'admin'; name: string }
  | { kind: 'node'; nodeName: string }
  | { kind: 'control-plane'; name: string };

/** The certificate subject that names `identity`. */
export function subjectFor(identity: CallerIdentity): CertificateSubject {
  switch (identity.kind) {
    case 'node':
      return { commonName: `${NODE_NAME_PREFIX}${identity.nodeName}`, organizations: [NODE_GROUP] };
    case 'admin':
      return { commonName: identity.name, organizations: [ADMIN_GROUP] };
    case 'control-plane':
      return { commonName: identity.name, organizations: [CONTROL_PLANE_GROUP] };
  }
}

/**
 * The identity a certificate subject names, or undefined if it names none Berth knows (such a
 * caller is refused). A subject in several groups is refused too: one certificate, one role.
 */
export function identityFromSubject(subject: CertificateSubject): CallerIdentity | undefined {
  const [group, ...more] = subject.organizations;
  if (more.length > 0 || !subject.commonName) return undefined;
  if (group === NODE_GROUP && subject.commonName.startsWith(NODE_NAME_PREFIX)) {
    const nodeName = subject.commonName.slice(NODE_NAME_PREFIX.length);
    return nodeName ? { kind: 'node', nodeName } : undefined;
  }
  if (group === ADMIN_GROUP) return { kind: 'admin', name: subject.commonName };
  if (group === CONTROL_PLANE_GROUP) return { kind: 'control-plane', name: subject.commonName };
  return undefined;
}

/** What a gRPC server call exposes about its transport (grpc-js' AuthContext). */
export interface CallWithAuthContext {
  getAuthContext(): { transportSecurityType?: string; sslPeerCertificate?: PeerCertificate } | null;
}

/**
 * The identity of the caller of a gRPC call on a server made with serverCredentials (which has
 * already verified the certificate chain against the cluster CA), or undefined if the call has no
 * client certificate or its subject names no identity.
 */
export function callerIdentity(call: CallWithAuthContext): CallerIdentity | undefined {
  const auth = call.getAuthContext();
  if (auth?.transportSecurityType !== 'ssl') return undefined;
  const subject = auth.sslPeerCertificate?.subject;
  if (!subject) return undefined;
  return identityFromSubject({ commonName: single(subject.CN), organizations: list(subject.O) });
}

/** How an identity is written in logs and error messages. */
export function describeIdentity(identity: CallerIdentity | undefined): string {
  if (!identity) return 'an unauthenticated caller';
  if (identity.kind === 'node') return `node ${identity.nodeName}`;
  return `${identity.kind} ${identity.name}`;
}

// Node gives a repeated attribute as an array and a single one as a string.
function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function single(value: string | string[] | undefined): string {
  const values = list(value);
  return values.length === 1 ? (values[0] ?? '') : '';
}
