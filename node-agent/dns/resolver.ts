import type { ClusterZone } from './cluster-zone.js';
import type { Reply } from './response.js';
import { CLASS, RCODE, TYPE, type Query } from './wire.js';

/** Resolution is the server's decision about a query: reply from memory, or forward it upstream. */
export type Resolution = { kind: 'reply'; reply: Reply } | { kind: 'forward' };

/**
 * resolve decides how to answer a parsed query. Names of the cluster domain (and reverse names
 * of the cluster's addresses) are answered from the zone, authoritatively: an unknown cluster
 * name is NXDOMAIN, a known one without records of the type is NODATA, both with the zone's SOA
 * for negative caching. Everything else is forwarded to the node's resolvers.
 */
export function resolve(zone: ClusterZone, query: Query): Resolution {
  if (query.edns && query.edns.version !== 0) return { kind: 'reply', reply: { rcode: RCODE.BADVERS, authoritative: false } };
  const lookup = zone.lookup(query.name, query.qtype);
  if (lookup.kind === 'outside') return { kind: 'forward' };
  if (query.qclass !== CLASS.IN && query.qclass !== CLASS.ANY) return { kind: 'reply', reply: { rcode: RCODE.REFUSED, authoritative: false } };
  // Zone transfers are not served.
  if (query.qtype === TYPE.AXFR || query.qtype === TYPE.IXFR) return { kind: 'reply', reply: { rcode: RCODE.REFUSED, authoritative: false } };
  switch (lookup.kind) {
    case 'answer':
      return { kind: 'reply', reply: { rcode: RCODE.NOERROR, authoritative: true, answer: lookup.answer, ...(lookup.additional ? { additional: lookup.additional } : {}) } };
    case 'nodata':
      return { kind: 'reply', reply: { rcode: RCODE.NOERROR, authoritative: true, authority: zone.soa } };
    case 'nxdomain':
      return { kind: 'reply', reply: { rcode: RCODE.NXDOMAIN, authoritative: true, authority: zone.soa } };
  }
}
