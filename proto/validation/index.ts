export { validateObject, pointerToPath } from './validator.js';
export type { ObjectProblem, ValidationResult } from './problems.js';
export { joinPath } from './problems.js';
export { LAST_APPLIED_ANNOTATION, MAX_ANNOTATIONS_BYTES, jsonBytes, largestFieldPath } from './checks-size.js';
export { INT32_MAX, INT32_MIN } from './schema-builder.js';
