/**
 * Small helpers to write the JSON Schemas of proto/validation/schemas.ts compactly.
 * Objects are closed (`additionalProperties: false`): a field nobody knows is an error
 * ("unknown field"), while a Kubernetes field Berth does not implement is listed as
 * unsupported and only warned about (the `x-berth-unsupported` keyword, see validator.ts).
 */

export type Schema = Record<string, unknown>;

export const UNSUPPORTED_KEYWORD = 'x-berth-unsupported';

export const str = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
export const bool: Schema = { type: 'boolean' };
/** Kubernetes' int32 bounds: counts, ports, seconds and modes are int32 in its API. */
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** int is an int32 field (Kubernetes' `int32`): bounded by INT32_MIN..INT32_MAX unless tighter bounds are given. */
export const int = (minimum = INT32_MIN, maximum = INT32_MAX): Schema => ({ type: 'integer', minimum, maximum });
/**
 * int64 is a Kubernetes `int64` field (generation, grace periods, user ids): bounded by the
 * integers JSON numbers hold exactly, so a value is never silently rounded.
 */
export const int64 = (minimum = Number.MIN_SAFE_INTEGER, maximum = Number.MAX_SAFE_INTEGER): Schema => ({ type: 'integer', minimum, maximum });
export const intOrString: Schema = { type: ['integer', 'string'] };
export const quantity: Schema = { type: ['string', 'number'] };
export const arr = (items: Schema, extra: Schema = {}): Schema => ({ type: 'array', items, ...extra });
export const stringMap: Schema = { type: 'object', additionalProperties: { type: 'string' } };
export const oneOf = (...values: string[]): Schema => ({ type: 'string', enum: values });
/** Anything: for fields whose content Berth ignores (status, written by Berth itself). */
export const any: Schema = {};

/**
 * ignored is a Kubernetes field Berth checks (so a typo inside it is still an error) but does not
 * act on: present, it is a warning naming the path.
 */
export const ignored = (schema: Schema): Schema => ({ ...schema, [UNSUPPORTED_KEYWORD]: true });

/** ignoredWhenTrue is a boolean Berth does not act on: `false` is what Berth does anyway, `true` a warning. */
export const ignoredWhenTrue: Schema = { type: 'boolean', if: { const: true }, then: { [UNSUPPORTED_KEYWORD]: true } };

export interface ObjectOptions {
  required?: string[];
  /** Kubernetes fields Berth accepts but does not implement: a warning naming the path. */
  unsupported?: string[];
}

export function obj(properties: Record<string, Schema>, options: ObjectOptions = {}): Schema {
  const props: Record<string, Schema> = { ...properties };
  for (const name of options.unsupported ?? []) props[name] = { [UNSUPPORTED_KEYWORD]: true };
  return {
    type: 'object',
    properties: props,
    additionalProperties: false,
    ...(options.required && options.required.length > 0 ? { required: options.required } : {}),
  };
}
