import * as grpc from '@grpc/grpc-js';
import type { Secret } from '../../proto/objects/config.js';
import {
  BOOTSTRAP_TOKEN_NAMESPACE,
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  bootstrapTokenInfo,
  bootstrapTokenSecret,
  bootstrapTokenSecretName,
  formatBootstrapToken,
  generateBootstrapToken,
  isBootstrapTokenId,
  parseBootstrapToken,
  type BootstrapTokenInfo,
} from '../../proto/security/bootstrap-token.js';
import { caCertificateHash } from '../../proto/security/pki.js';
import { ApiError, type ClusterClient } from '../client.js';
import { clientCredentials, resolveServer } from '../config.js';
import { CliError } from '../errors.js';
import { splitHostPort } from '../join/discovery.js';
import { humanDuration } from '../printers/age.js';
import { formatTable } from '../printers/table.js';
import { print, withClient, type GlobalOptions } from './context.js';

/** The flags of `berth token create`. */
export interface TokenCreateOptions extends GlobalOptions {
  /** Milliseconds; 0: the token never expires. */
  ttl: number;
  description?: string;
  printJoinCommand?: boolean;
}

/**
 * createBootstrapToken stores a new token as its Secret (with the kube-system namespace, in one
 * atomic apply) and returns it as the user types it. Only an admin can, as for any Secret.
 */
export async function createBootstrapToken(client: ClusterClient, options: { ttlMs: number; description?: string; now?: Date }): Promise<string> {
  const token = generateBootstrapToken();
  const now = options.now ?? new Date();
  const secret = bootstrapTokenSecret(token, { ...(options.ttlMs > 0 ? { expires: new Date(now.getTime() + options.ttlMs) } : {}), ...(options.description ? { description: options.description } : {}) });
  const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: BOOTSTRAP_TOKEN_NAMESPACE } };
  const reply = await client.apply({ documents: [namespace, secret].map((o, i) => ({ source: 'berth token create', index: i + 1, json: JSON.stringify(o) })), dry_run: false });
  if (reply.errors.length > 0) throw new CliError(`the control plane refused the token: ${reply.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return formatBootstrapToken(token);
}

/** The `berth join` line for `token`: the join endpoint (the control plane's port + 1, --bootstrap-listen's default) and the CA pin. */
export function joinCommand(server: string, caPem: string, token: string): string {
  const { host, port } = splitHostPort(server, 'the control plane address');
  const bootstrap = host.includes(':') ? `[${host}]:${port + 1}` : `${host}:${port + 1}`;
  return `berth join ${bootstrap} --token ${token} --discovery-token-ca-cert-hash ${caCertificateHash(caPem)}`;
}

export async function tokenCreateCommand(options: TokenCreateOptions): Promise<void> {
  // Read the CA before writing anything: a join command that cannot be printed should not leave a token behind.
  const caPem = options.printJoinCommand ? clientCredentials().caPem : undefined;
  const token = await withClient(options, (client) => createBootstrapToken(client, { ttlMs: options.ttl, ...(options.description ? { description: options.description } : {}) }));
  print(caPem ? joinCommand(resolveServer(options.server), caPem, token) : token);
}

export async function tokenListCommand(options: GlobalOptions): Promise<void> {
  const { items } = await withClient(options, (client) => client.list({ resource: 'secrets', namespace: BOOTSTRAP_TOKEN_NAMESPACE }));
  const tokens = (items as Secret[]).filter((s) => s.type === BOOTSTRAP_TOKEN_SECRET_TYPE).map((s) => bootstrapTokenInfo(s)).filter((t): t is BootstrapTokenInfo & { secret: string } => t !== undefined);
  if (tokens.length === 0) {
    process.stderr.write('No bootstrap tokens found.\n');
    return;
  }
  print(formatTable(['ID', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION'], tokens.map((t) => tokenRow(t, Date.now()))));
}

/** One row of `berth token list`, as kubeadm shows it: the time left, `<forever>`, or `<invalid>` once expired. */
export function tokenRow(token: BootstrapTokenInfo, now: number): string[] {
  const left = token.expires ? token.expires.getTime() - now : undefined;
  const ttl = left === undefined ? '<forever>' : left <= 0 ? '<invalid>' : humanDuration(left);
  const expires = token.expires ? token.expires.toISOString().replace(/\.\d{3}Z$/, 'Z') : '<never>';
  return [token.id, ttl, expires, token.usages.join(',') || '<none>', token.description || '<none>'];
}

export async function tokenDeleteCommand(ids: string[], options: GlobalOptions): Promise<void> {
  const wanted = ids.map((text) => {
    const id = parseBootstrapToken(text)?.id ?? text;
    if (!isBootstrapTokenId(id)) throw new CliError(`"${text}" is neither a token id (6 characters of [a-z0-9]) nor a token <id>.<secret>`);
    return id;
  });
  await withClient(options, async (client) => {
    for (const id of wanted) {
      try {
        await client.delete('secrets', BOOTSTRAP_TOKEN_NAMESPACE, bootstrapTokenSecretName(id));
      } catch (err) {
        if (err instanceof ApiError && err.code === grpc.status.NOT_FOUND) throw new CliError(`bootstrap token "${id}" not found`);
        throw err;
      }
      print(`bootstrap token "${id}" deleted`);
    }
  });
}
