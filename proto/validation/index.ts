export { validateObject, pointerToPath } from './validator.js';
export type { ObjectProblem, ValidationResult } from './problems.js';
export { joinPath } from './problems.js';
