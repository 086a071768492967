/** resolv.conf(5): reading the node's, and writing the ones pods get (as the kubelet writes them). */

/** ResolvConf is what a resolv.conf says: nameservers, search domains and options, in order. */
export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/** The resolver reads at most this many nameservers (glibc's MAXNS). */
const MAX_NAMESERVERS = 3;
/** Kubernetes' limits on a pod's search list. */
const MAX_SEARCHES = 32;
const MAX_SEARCH_CHARS = 2048;

/** parseResolvConf reads the text of a resolv.conf: `nameserver`, `search` (or `domain`) and `options` lines; comments start with # or ;. */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], searches: [], options: [] };
  let domain: string | undefined;
  let search: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (line === '') continue;
    const [keyword, ...args] = line.split(/\s+/);
    if (keyword === 'nameserver' && args[0] !== undefined) out.nameservers.push(args[0]);
    else if (keyword === 'search') search = args;
    else if (keyword === 'domain' && args[0] !== undefined) domain = args[0];
    else if (keyword === 'options') out.options.push(...args);
  }
  // The last of `search` and `domain` wins in glibc; keeping `search` over `domain` is what the kubelet does.
  out.searches = (search ?? (domain !== undefined ? [domain] : [])).map((s) => s.replace(/\.$/, '')).filter((s) => s !== '');
  return out;
}

/** formatResolvConf writes a resolv.conf. */
export function formatResolvConf(conf: ResolvConf): string {
  const lines = conf.nameservers.slice(0, MAX_NAMESERVERS).map((n) => `nameserver ${n}`);
  if (conf.searches.length > 0) lines.push(`search ${conf.searches.join(' ')}`);
  if (conf.options.length > 0) lines.push(`options ${conf.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

/** limitSearches keeps search domains in order, without repeats, within Kubernetes' limits (32 domains, 2048 characters). */
function limitSearches(searches: readonly string[]): string[] {
  const out: string[] = [];
  let chars = 0;
  for (const s of new Set(searches)) {
    if (out.length === MAX_SEARCHES || chars + s.length + (out.length > 0 ? 1 : 0) > MAX_SEARCH_CHARS) break;
    chars += s.length + (out.length > 0 ? 1 : 0);
    out.push(s);
  }
  return out;
}

/**
 * clusterFirstResolvConf is the resolv.conf of a pod with `dnsPolicy: ClusterFirst`: the node's
 * cluster DNS as the only nameserver, the Kubernetes search path for the pod's namespace
 * followed by the node's own search domains, and `ndots:5`, so `web` and `web.other` resolve to
 * Services while `example.com` still reaches the node's resolvers through the cluster DNS.
 */
export function clusterFirstResolvConf(namespace: string, clusterDomain: string, dnsIP: string, node: ResolvConf): ResolvConf {
  return {
    nameservers: [dnsIP],
    searches: limitSearches([`${namespace}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain, ...node.searches]),
    options: ['ndots:5'],
  };
}

/** nodeResolvConf is the resolv.conf of a pod with `dnsPolicy: Default`: the node's, within the same limits. */
export function nodeResolvConf(node: ResolvConf): ResolvConf {
  return { nameservers: node.nameservers.slice(0, MAX_NAMESERVERS), searches: limitSearches(node.searches), options: node.options };
}
