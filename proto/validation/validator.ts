import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { BerthObject } from '../objects/meta.js';
import { apiVersionsOfKind, RESOURCES, resourceForKind } from '../resources.js';
import { CheckOutput } from './check.js';
import { checksFor } from './checks.js';
import type { ObjectProblem, ValidationResult } from './problems.js';
import { joinPath, quote } from './problems.js';
import { UNSUPPORTED_KEYWORD } from './schema-builder.js';
import { SCHEMAS } from './schemas.js';

// ajv validators are synchronous, so the unsupported-field keyword can report into a collector
// that validateObject sets around each call.
let unsupportedSink: ObjectProblem[] | undefined;

// verbose: errors carry the offending value, so messages can quote it.
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
ajv.addKeyword({
  keyword: UNSUPPORTED_KEYWORD,
  schemaType: 'boolean',
  errors: false,
  validate: (_schema: boolean, _data: unknown, _parent: unknown, cxt?: { instancePath: string }) => {
    unsupportedSink?.push({ path: pointerToPath(cxt?.instancePath ?? ''), message: 'unsupported field: Berth ignores it' });
    return true;
  },
});

const compiled = new Map<string, ValidateFunction>();

function validatorFor(apiVersion: string, kind: string): ValidateFunction | undefined {
  const id = `${apiVersion}/${kind}`;
  let fn = compiled.get(id);
  if (!fn) {
    const schema = SCHEMAS[id];
    if (!schema) return undefined;
    fn = ajv.compile(schema);
    compiled.set(id, fn);
  }
  return fn;
}

/** pointerToPath turns a JSON pointer (`/spec/containers/0/name`) into `spec.containers[0].name`. */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out = /^\d+$/.test(part) ? `${out}[${part}]` : joinPath(out, part);
  }
  return out;
}

/** A Secret's values never reach a message: a wrong one is named by its path only. */
const HIDDEN_VALUE = '"<hidden>"';
const SECRET_VALUES = /^\/(data|stringData)(\/|$)/;

function describeSchemaError(e: ErrorObject, hideValue: boolean): ObjectProblem {
  const path = pointerToPath(e.instancePath);
  const show = hideValue ? () => HIDDEN_VALUE : quote;
  const at = (field: string) => joinPath(path, field);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: at(String(p.missingProperty)), message: 'Required value' };
    case 'additionalProperties':
      return { path: at(String(p.additionalProperty)), message: `unknown field ${show(p.additionalProperty)}` };
    case 'type':
      return { path, message: `Invalid value: ${show(e.data)}: must be of type ${String(p.type).replace(',', ' or ')}` };
    case 'enum':
      return { path, message: `Unsupported value: ${show(e.data)}: supported values: ${(p.allowedValues as unknown[]).map(show).join(', ')}` };
    case 'const':
      return { path, message: `Invalid value: ${show(e.data)}: must be ${show(p.allowedValue)}` };
    case 'minimum':
      return { path, message: `Invalid value: ${show(e.data)}: must be greater than or equal to ${String(p.limit)}` };
    case 'maximum':
      return { path, message: `Invalid value: ${show(e.data)}: must be less than or equal to ${String(p.limit)}` };
    case 'minItems':
      return { path, message: `Required value: must have at least ${String(p.limit)} item(s)` };
    default:
      return { path, message: `Invalid value: ${e.message ?? e.keyword}` };
  }
}

/**
 * validateObject checks one object: its kind is known, its structure matches the schema, then
 * the semantic checks. Unsupported Kubernetes fields come back as warnings, never errors.
 */
export function validateObject(object: unknown): ValidationResult {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    return { errors: [{ path: '', message: 'a manifest document must be a mapping with apiVersion, kind and metadata' }], warnings: [] };
  }
  const { apiVersion, kind } = object as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== 'string' || apiVersion === '') return { errors: [{ path: 'apiVersion', message: 'Required value' }], warnings: [] };
  if (typeof kind !== 'string' || kind === '') return { errors: [{ path: 'kind', message: 'Required value' }], warnings: [] };
  if (!resourceForKind(apiVersion, kind)) {
    const versions = apiVersionsOfKind(kind);
    const message = versions.length > 0
      ? `no kind ${quote(kind)} in version ${quote(apiVersion)}: use apiVersion ${versions.map(quote).join(' or ')}`
      : `no kind ${quote(kind)} is served by Berth (supported: ${RESOURCES.map((r) => r.kind).join(', ')})`;
    return { errors: [{ path: apiVersion === '' ? 'kind' : 'apiVersion', message }], warnings: [] };
  }
  const validate = validatorFor(apiVersion, kind);
  if (!validate) return { errors: [{ path: 'kind', message: `no schema for ${kind}` }], warnings: [] };
  const warnings: ObjectProblem[] = [];
  unsupportedSink = warnings;
  let ok: boolean;
  try {
    ok = validate(object) as boolean;
  } finally {
    unsupportedSink = undefined;
  }
  const schemaErrors = ok ? [] : (validate.errors ?? []).map((e) => describeSchemaError(e, kind === 'Secret' && SECRET_VALUES.test(e.instancePath)));
  const out = new CheckOutput();
  for (const check of checksFor(kind)) {
    try {
      check.run(object as BerthObject, out);
    } catch (err) {
      // A check assumes the structure the schema describes. When the schema already failed, a
      // check tripping over that structure has nothing to add; otherwise it is a bug.
      if (ok) throw err;
    }
  }
  return { errors: firstProblems([...schemaErrors, ...out.errors], 'error'), warnings: firstProblems([...warnings, ...out.warnings], 'warning') };
}

/** How many errors (and warnings) of one object are reported; the rest are counted. */
export const MAX_PROBLEMS_PER_OBJECT = 100;

/**
 * firstProblems keeps the first MAX_PROBLEMS_PER_OBJECT problems and says how many more there
 * were, at the first one left out. A hostile document can make one problem per character of a
 * huge string or per item of a huge list; the answer stays small either way.
 */
function firstProblems(problems: ObjectProblem[], noun: string): ObjectProblem[] {
  if (problems.length <= MAX_PROBLEMS_PER_OBJECT) return problems;
  const more = problems.length - MAX_PROBLEMS_PER_OBJECT;
  const first = problems.slice(0, MAX_PROBLEMS_PER_OBJECT);
  first.push({ path: (problems[MAX_PROBLEMS_PER_OBJECT] as ObjectProblem).path, message: `and ${more} more ${noun}${more === 1 ? '' : 's'} in this object (only the first ${MAX_PROBLEMS_PER_OBJECT} are listed)` });
  return first;
}
