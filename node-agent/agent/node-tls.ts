import { X509Certificate } from 'node:crypto';
import { identityFromSubject } from '../../proto/security/identity.js';
import { readTlsMaterial, tlsFilesIn, type TlsMaterial } from '../../proto/security/tls-credentials.js';
import { checkTlsMaterial } from '../../proto/security/tls-material-check.js';

/**
 * loadNodeTls reads the agent's --tls-dir and checks it before anything starts: the files exist
 * and are PEM, the certificate is the CA's, the key is its key, and it names this node (a
 * certificate of another node would make every call fail later, far from the cause). Errors name
 * the file.
 */
export function loadNodeTls(dir: string, nodeName: string): TlsMaterial {
  const paths = tlsFilesIn(dir);
  const material = readTlsMaterial(paths);
  checkTlsMaterial(material, paths);
  const subject = new X509Certificate(material.certPem).subject;
  const identity = identityFromSubject({ commonName: field(subject, 'CN')[0] ?? '', organizations: field(subject, 'O') });
  if (identity?.kind !== 'node' || identity.nodeName !== nodeName) {
    const names = identity?.kind === 'node' ? `node ${identity.nodeName}` : `"${subject.replace(/\n/g, ', ')}", not a node`;
    throw new Error(`${paths.certFile}: this certificate names ${names}, but this agent is --name ${nodeName}`);
  }
  return material;
}

/** The values of one attribute of a subject as node:crypto prints it ("CN=a\nO=b\nO=c"). */
function field(subject: string, name: string): string[] {
  return subject.split('\n').filter((line) => line.startsWith(`${name}=`)).map((line) => line.slice(name.length + 1));
}
