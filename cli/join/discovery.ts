// Discovery of the cluster CA by a joining machine, as kubeadm's token discovery with a pinned
// CA hash: connect over TLS without trusting the server yet, take the CA certificate from the
// chain it presents, and trust it only if the SHA-256 of its public key is the pin the user was
// given by `berth init` or `berth token create --print-join-command`.
import { X509Certificate } from 'node:crypto';
import { connect, type DetailedPeerCertificate } from 'node:tls';
import { caCertificateHash } from '../../proto/security/pki.js';
import { CONTROL_PLANE_SERVER_NAME } from '../../proto/security/tls-credentials.js';
import { CliError } from '../errors.js';

const PIN_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** What discovery found: the pinned CA, and the address this machine reached the server from. */
export interface DiscoveredCluster {
  caPem: string;
  /** The local address of the connection: the address the cluster reaches this machine at, unless told otherwise. */
  localAddress: string;
}

/** Splits `host:port` (IPv6 in brackets); a missing or bad port is an error naming the argument. */
export function splitHostPort(address: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(address);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) throw new CliError(`${what} "${address}" is not host:port, e.g. 192.168.1.10:6444`);
  return { host: m[1] ?? m[2] ?? '', port };
}

/** Checks the form of --discovery-token-ca-cert-hash. */
export function checkCaPin(pin: string): string {
  const lower = pin.trim().toLowerCase();
  if (!PIN_PATTERN.test(lower)) throw new CliError(`--discovery-token-ca-cert-hash "${pin}" is not sha256:<64 hex digits>, as berth init and berth token create --print-join-command print it`);
  return lower;
}

/**
 * discoverPinnedCa connects to `server`, reads the certificate chain it presents and returns the
 * CA certificate whose public-key hash is `pin`. A server whose chain holds no such CA is refused
 * with both hashes named: either the pin was mistyped or this is not the cluster's control plane.
 */
export async function discoverPinnedCa(server: string, pin: string, timeoutMs = 10_000): Promise<DiscoveredCluster> {
  const { host, port } = splitHostPort(server, 'the server address');
  const { chain, localAddress } = await peerChain(host, port, timeoutMs);
  const authorities = chain.filter((cert) => cert.ca);
  const pinned = authorities.find((cert) => caCertificateHash(cert.toString()) === pin);
  if (!pinned) {
    const seen = authorities.map((cert) => caCertificateHash(cert.toString()));
    throw new CliError(
      `the server at ${server} presents ${seen.length === 0 ? 'no CA certificate' : `a CA with hash ${seen.join(', ')}`}, not the pinned ${pin}: ` +
        'refusing to join (check --discovery-token-ca-cert-hash against what berth init printed); nothing was written',
    );
  }
  const leaf = chain[0];
  if (!leaf || !leaf.verify(pinned.publicKey)) throw new CliError(`the server at ${server} presents a certificate the pinned CA did not sign: refusing to join; nothing was written`);
  return { caPem: pinned.toString(), localAddress };
}

/** The certificates a TLS server presents (leaf first), fetched without verifying them. */
function peerChain(host: string, port: number, timeoutMs: number): Promise<{ chain: X509Certificate[]; localAddress: string }> {
  return new Promise((resolve, reject) => {
    // Nothing read here is trusted before the pin is checked; no request is sent on this connection.
    const socket = connect({ host, port, servername: CONTROL_PLANE_SERVER_NAME, rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS handshake within ${timeoutMs / 1000} s`)), timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const chain: X509Certificate[] = [];
      const seen = new Set<string>();
      for (let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true); cert?.raw && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
        seen.add(cert.fingerprint256);
        chain.push(new X509Certificate(cert.raw));
      }
      const localAddress = socket.localAddress ?? '';
      socket.destroy();
      resolve({ chain, localAddress });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new CliError(`cannot reach the control plane's join endpoint at ${host}:${port}: ${err.message}`));
    });
  });
}
