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
export const int = (minimum?: number, maximum?: number): Schema => ({
  type: 'integer',
  ...(minimum === undefined ? {} : { minimum }),
  ...(maximum === undefined ? {} : { maximum }),
});
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
