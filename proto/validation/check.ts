import type { ObjectProblem } from './problems.js';

/**
 * Check is one named validation rule (runc's validator style): small, pure, and listed in order
 * in checks.ts. `errors` refuse the object; `warnings` are printed and the object is accepted.
 */
export interface Check<T> {
  name: string;
  run(object: T, out: CheckOutput): void;
}

/** CheckOutput collects what checks find. */
export class CheckOutput {
  readonly errors: ObjectProblem[] = [];
  readonly warnings: ObjectProblem[] = [];
  error(path: string, message: string): void {
    this.errors.push({ path, message });
  }
  warn(path: string, message: string): void {
    this.warnings.push({ path, message });
  }
}
