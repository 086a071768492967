/*
 * How kubectl (a Go program) turns JSON values into text, so templates print the same bytes:
 * jsonpath prints scalars with fmt.Print and maps and lists with encoding/json; custom-columns
 * prints every value with fmt.Sprint. Integers decode to int64 in kubectl, other numbers to float64.
 */

type JsonObject = { [key: string]: unknown };

/**
 * FloatLiteral is a number written with a point in a template (`1.0`): Go keeps it a float64,
 * which compares with float data only, so the evaluator keeps it apart from integers.
 */
export class FloatLiteral {
  constructor(readonly value: number) {}
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof FloatLiteral);
}

/** goFloat is fmt's %v of a float64 (strconv's shortest %g): exponent form below 1e-4 and from 1e6 on. */
export function goFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(x);
}

/** goNumber prints a JSON number as kubectl holds it: an integer as int64, anything else as float64. */
function goNumber(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 2 ** 63 ? BigInt(x).toString() : goFloat(x);
}

/** goSprint is fmt.Sprint of a decoded JSON value: `map[a:1 b:[x y]]`, `<nil>`, strings bare. */
export function goSprint(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (value instanceof FloatLiteral) return goFloat(value.value);
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(goSprint).join(' ')}]`;
  if (isObject(value)) return `map[${Object.keys(value).sort().map((k) => `${k}:${goSprint(value[k])}`).join(' ')}]`;
  return String(value);
}

/** goJson is encoding/json's Marshal: compact, keys sorted, <, > and & escaped as \u003c... */
export function goJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
}

/** goText is how a jsonpath result prints: maps and lists as JSON, everything else as fmt.Print does. */
export function goText(value: unknown): string {
  return typeof value === 'object' && value !== null && !(value instanceof FloatLiteral) ? goJson(value) : goSprint(value);
}
