// TLS towards an external etcd, from kube-apiserver's flags: --etcd-cafile (the CA that issued
// etcd's serving certificate) and --etcd-certfile/--etcd-keyfile (the client certificate an etcd
// started with --client-cert-auth requires).
import { readFileSync } from 'node:fs';

/** The files the --etcd-* flags name. */
export interface EtcdTlsFiles {
  caFile: string;
  certFile?: string;
  keyFile?: string;
}

/** EtcdTls is used by connectEtcd: the CA to trust, and the client certificate and key to present (PEM). */
export interface EtcdTls {
  caPem: string;
  client?: { certPem: string; keyPem: string };
}

/** Reads the files; an error names the flag and the file that is missing, unreadable or not PEM. */
export function readEtcdTls(files: EtcdTlsFiles): EtcdTls {
  if ((files.certFile === undefined) !== (files.keyFile === undefined)) {
    throw new Error('--etcd-certfile and --etcd-keyfile go together: give both (the client certificate and its key) or neither');
  }
  const caPem = readPem('--etcd-cafile', files.caFile, 'CERTIFICATE');
  if (files.certFile === undefined || files.keyFile === undefined) return { caPem };
  return { caPem, client: { certPem: readPem('--etcd-certfile', files.certFile, 'CERTIFICATE'), keyPem: readPem('--etcd-keyfile', files.keyFile, 'PRIVATE KEY') } };
}

function readPem(flag: string, path: string, label: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${flag} ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  // etcd's own tooling often writes EC or RSA keys ("BEGIN EC PRIVATE KEY"); gRPC accepts those too.
  if (!new RegExp(`-----BEGIN [A-Z ]*${label}-----`).test(text)) throw new Error(`${flag} ${path}: not a PEM ${label.toLowerCase()}`);
  return text;
}
