import { FloatLiteral } from './go-text.js';
import { JsonPathError } from './errors.js';

/*
 * The comparisons of a JSONPath filter, as kubectl's forked text/template functions make them:
 * both sides must be of the same basic kind (an integer never equals a float), booleans only
 * compare for (in)equality, and maps, lists or null cannot be compared at all.
 */

type Kind = 'bool' | 'int' | 'float' | 'string';

function kindOf(v: unknown): { kind: Kind; value: boolean | number | string } {
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'number') return { kind: Number.isInteger(v) ? 'int' : 'float', value: v };
  if (v instanceof FloatLiteral) return { kind: 'float', value: v.value };
  throw new JsonPathError('invalid type for comparison');
}

function sameKind(a: unknown, b: unknown): [boolean | number | string, boolean | number | string, Kind] {
  const l = kindOf(a);
  const r = kindOf(b);
  if (l.kind !== r.kind) throw new JsonPathError('incompatible types for comparison');
  return [l.value, r.value, l.kind];
}

function equal(a: unknown, b: unknown): boolean {
  const [l, r] = sameKind(a, b);
  return l === r;
}

function less(a: unknown, b: unknown): boolean {
  const [l, r, kind] = sameKind(a, b);
  if (kind === 'bool') throw new JsonPathError('invalid type for comparison');
  return l < r;
}

/** compare applies a filter operator (==, !=, <, <=, >, >=) to two values. */
export function compare(left: unknown, operator: string, right: unknown): boolean {
  switch (operator) {
    case '==':
      return equal(left, right);
    case '!=':
      return !equal(left, right);
    case '<':
      return less(left, right);
    case '<=':
      return less(left, right) || equal(left, right);
    case '>':
      return !(less(left, right) || equal(left, right));
    case '>=':
      return !less(left, right);
    default:
      throw new JsonPathError(`unrecognized filter operator ${operator}`);
  }
}
