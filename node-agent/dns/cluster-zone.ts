import { isIPv4 } from '../services/endpoints.js';
import { recordsOf, type Records } from './response.js';
import type { RawRecord } from './service-records.js';
import { encodeName, encodeRecord, ipv4Data, QUESTION_NAME, soaData, TYPE, txtData } from './wire.js';

/** The version of the Kubernetes DNS schema served (its `dns-version` TXT record). */
export const DNS_SCHEMA_VERSION = '1.0.1';

/** Lookup is what the zone knows of a name and type. */
export type Lookup =
  | { kind: 'answer'; answer: Records; additional?: Records }
  /** The name exists (maybe only as the parent of others) but has no record of this type. */
  | { kind: 'nodata' }
  | { kind: 'nxdomain' }
  /** Not the cluster's to answer: forward it. */
  | { kind: 'outside' };

/** The answers kept for one name: per type, encoded with the owner pointing at the question. */
interface NameAnswers {
  byType: Map<number, { answer: Records; additional?: Records }>;
  any: Records;
}

const POD_NAME = /^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\.pod\.$/;
const REVERSE_SUFFIX = '.in-addr.arpa';

/**
 * ClusterZone is used by the DNS server to answer from memory for the cluster domain and for the
 * reverse names of the cluster's addresses. Services add and replace their records with
 * setOwner(); each change re-encodes only the names it touches, so a query costs a map lookup
 * and a copy. Besides the Services' records it serves the zone's SOA, the `dns-version` TXT
 * record and the specification's pod records `<a>-<b>-<c>-<d>.<ns>.pod.<domain>`.
 */
export class ClusterZone {
  private readonly records = new Map<string, Map<string, RawRecord[]>>();
  private readonly answers = new Map<string, NameAnswers>();
  private readonly owned = new Map<string, Set<string>>();
  /** Names that exist only as parents of others (empty non-terminals), with how many names below them. */
  private readonly parents = new Map<string, number>();
  private serial = 1;
  private soaCache: Records | undefined;
  private readonly suffix: string;

  constructor(readonly domain: string, private readonly ttl = 5) {
    this.suffix = `.${domain}`;
    this.setOwner('', [{ name: `dns-version.${domain}`, type: TYPE.TXT, data: txtData(DNS_SCHEMA_VERSION) }]);
  }

  /** The zone's SOA record, with its own owner name, for the authority section of negative answers. */
  get soa(): Records {
    return (this.soaCache ??= recordsOf([encodeRecord(encodeName(this.domain), TYPE.SOA, this.ttl, this.soaRdata())]));
  }

  /** setOwner replaces the records of one owner (a Service key); an empty list removes them. */
  setOwner(owner: string, records: readonly RawRecord[]): void {
    const before = this.owned.get(owner) ?? new Set<string>();
    const byName = new Map<string, RawRecord[]>();
    for (const r of records) {
      const list = byName.get(r.name) ?? [];
      list.push(r);
      byName.set(r.name, list);
    }
    const touched = new Set([...before, ...byName.keys()]);
    for (const name of touched) {
      const owners = this.records.get(name) ?? new Map<string, RawRecord[]>();
      const mine = byName.get(name);
      if (mine) owners.set(owner, mine);
      else owners.delete(owner);
      const existed = this.records.has(name);
      if (owners.size === 0) {
        this.records.delete(name);
        this.answers.delete(name);
        if (existed) this.countParents(name, -1);
      } else {
        this.records.set(name, owners);
        this.answers.set(name, this.encode([...owners.values()].flat()));
        if (!existed) this.countParents(name, 1);
      }
    }
    if (byName.size > 0) this.owned.set(owner, new Set(byName.keys()));
    else this.owned.delete(owner);
    if (touched.size > 0) {
      this.serial = (this.serial + 1) >>> 0 || 1;
      this.soaCache = undefined;
    }
  }

  /** lookup answers a question about `name` (lower case, no final dot) of type `qtype`. */
  lookup(name: string, qtype: number): Lookup {
    const inZone = name === this.domain || name.endsWith(this.suffix);
    if (!inZone && !name.endsWith(REVERSE_SUFFIX)) return { kind: 'outside' };
    const found = this.answers.get(name);
    if (found) {
      if (qtype === TYPE.ANY) return { kind: 'answer', answer: found.any };
      const rrset = found.byType.get(qtype);
      return rrset ? { kind: 'answer', ...rrset } : { kind: 'nodata' };
    }
    // Reverse names of addresses the cluster does not know belong to whoever owns them.
    if (!inZone) return { kind: 'outside' };
    if (name === this.domain) return qtype === TYPE.SOA || qtype === TYPE.ANY ? { kind: 'answer', answer: this.apexSoa() } : { kind: 'nodata' };
    const pod = this.podAddress(name);
    if (pod !== undefined) {
      if (qtype !== TYPE.A && qtype !== TYPE.ANY) return { kind: 'nodata' };
      return { kind: 'answer', answer: recordsOf([encodeRecord(QUESTION_NAME, TYPE.A, this.ttl, ipv4Data(pod))]) };
    }
    return this.parents.has(name) ? { kind: 'nodata' } : { kind: 'nxdomain' };
  }

  private podAddress(name: string): string | undefined {
    const prefix = name.slice(0, name.length - this.suffix.length + 1);
    const m = POD_NAME.exec(prefix);
    if (!m) return undefined;
    const ip = [m[1], m[2], m[3], m[4]].join('.');
    return isIPv4(ip) ? ip : undefined;
  }

  private apexSoa(): Records {
    return recordsOf([encodeRecord(QUESTION_NAME, TYPE.SOA, this.ttl, this.soaRdata())]);
  }

  private soaRdata(): Buffer {
    return soaData(`ns.dns.${this.domain}`, `hostmaster.${this.domain}`, this.serial, 7200, 1800, 86400, this.ttl);
  }

  private encode(records: readonly RawRecord[]): NameAnswers {
    const grouped = new Map<number, RawRecord[]>();
    for (const r of records) grouped.set(r.type, [...(grouped.get(r.type) ?? []), r]);
    const byType = new Map<number, { answer: Records; additional?: Records }>();
    const all: Buffer[] = [];
    for (const [type, list] of grouped) {
      const encoded = list.map((r) => encodeRecord(QUESTION_NAME, type, this.ttl, r.data));
      all.push(...encoded);
      const extra = new Map<string, Buffer>();
      for (const r of list) for (const x of r.additional ?? []) extra.set(`${x.name}/${x.type}/${x.data.toString('hex')}`, encodeRecord(encodeName(x.name), x.type, this.ttl, x.data));
      byType.set(type, { answer: recordsOf(encoded), ...(extra.size > 0 ? { additional: recordsOf([...extra.values()]) } : {}) });
    }
    return { byType, any: recordsOf(all) };
  }

  /** countParents keeps the empty non-terminals between a name and the zone apex. */
  private countParents(name: string, delta: number): void {
    if (!name.endsWith(this.suffix)) return;
    let at = name.indexOf('.');
    while (at >= 0) {
      const parent = name.slice(at + 1);
      if (parent === this.domain || parent.length < this.domain.length) break;
      const n = (this.parents.get(parent) ?? 0) + delta;
      if (n > 0) this.parents.set(parent, n);
      else this.parents.delete(parent);
      at = name.indexOf('.', at + 1);
    }
  }
}
