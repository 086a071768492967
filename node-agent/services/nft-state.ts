import { SET_NAMES, TABLE, type SetName } from './nft-plan.js';
import { emptyState, HASH_COMMENT_PREFIX, type TableState } from './nft-script.js';

/** NftStateError says that a listing of the table could not be understood. */
export class NftStateError extends Error {
  override name = 'NftStateError';
}

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One value of a key or a set element, as nft's JSON gives it: an address, a protocol name or a port number. */
function atom(value: Json, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  throw new NftStateError(`${where}: unexpected value ${JSON.stringify(value)}`);
}

/** A key: one value, or a concatenation joined the way the plans write it (`a . b . c`). */
function keyText(value: Json, where: string): string {
  if (isObject(value) && Array.isArray(value['concat'])) return value['concat'].map((v) => atom(v, where)).join(' . ');
  return atom(value, where);
}

function verdictText(value: Json, where: string): string {
  for (const verb of ['goto', 'jump'] as const) {
    const target = isObject(value) ? value[verb] : undefined;
    if (isObject(target) && typeof target['target'] === 'string') return `${verb} ${target['target']}`;
  }
  throw new NftStateError(`${where}: unexpected map value ${JSON.stringify(value)}`);
}

function elementsOf(set: Record<string, Json>, where: string): Map<string, string> {
  const out = new Map<string, string>();
  const elems = set['elem'];
  if (elems === undefined) return out;
  if (!Array.isArray(elems)) throw new NftStateError(`${where}: elem is not a list`);
  for (const elem of elems) {
    if (set['map'] !== undefined) {
      if (!Array.isArray(elem) || elem.length !== 2) throw new NftStateError(`${where}: unexpected map element ${JSON.stringify(elem)}`);
      out.set(keyText(elem[0], where), verdictText(elem[1], where));
    } else {
      out.set(keyText(elem, where), '');
    }
  }
  return out;
}

/**
 * parseTableState reads the output of `nft -j list table ip berth-proxy` (JSON schema 1): the
 * chains with the content hash in their last rule's comment, and the elements of the proxy's
 * sets and maps. Anything in a form the proxy never writes is an NftStateError.
 */
export function parseTableState(json: string): TableState {
  let doc: Json;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw new NftStateError(`nft's listing is not JSON: ${(err as Error).message}`);
  }
  const items = isObject(doc) ? doc['nftables'] : undefined;
  if (!Array.isArray(items)) throw new NftStateError('nft\'s listing has no "nftables" list');
  const state = emptyState();
  const sets = new Set<string>();
  let table = false;
  for (const item of items) {
    if (!isObject(item)) continue;
    const t = item['table'];
    if (isObject(t) && t['name'] === TABLE) table = true;
    const chain = item['chain'];
    if (isObject(chain) && chain['table'] === TABLE && typeof chain['name'] === 'string') state.chains.set(chain['name'], '');
    const rule = item['rule'];
    if (isObject(rule) && rule['table'] === TABLE && typeof rule['chain'] === 'string') {
      // Rules come in order: the last one's comment stands for the chain.
      const comment = rule['comment'];
      state.chains.set(rule['chain'], typeof comment === 'string' && comment.startsWith(HASH_COMMENT_PREFIX) ? comment.slice(HASH_COMMENT_PREFIX.length) : '');
    }
    const set = isObject(item['set']) ? item['set'] : isObject(item['map']) ? item['map'] : undefined;
    if (set && set['table'] === TABLE && typeof set['name'] === 'string' && (SET_NAMES as readonly string[]).includes(set['name'])) {
      const name = set['name'] as SetName;
      sets.add(name);
      state.elements[name] = elementsOf(set, `set ${name}`);
    }
  }
  state.exists = table && SET_NAMES.every((s) => sets.has(s));
  return state;
}
