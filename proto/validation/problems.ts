/** ObjectProblem is one error or warning about an object, at a field path like `spec.replicas`. */
export interface ObjectProblem {
  path: string;
  message: string;
}

/** ValidationResult keeps errors (the object is refused) and warnings (it is accepted) apart. */
export interface ValidationResult {
  errors: ObjectProblem[];
  warnings: ObjectProblem[];
}

/** joinPath appends a field or index to a kubectl-style path: `spec` + `containers` + 0. */
export function joinPath(base: string, part: string | number): string {
  if (typeof part === 'number') return `${base}[${part}]`;
  // An empty key would vanish from the path: it is shown quoted, as `metadata[""]`.
  if (part === '') return `${base}[""]`;
  return base === '' ? part : `${base}.${part}`;
}

/** quote renders a value the way Kubernetes error messages do: strings quoted, others as JSON; long ones cut. */
export function quote(value: unknown): string {
  const json = JSON.stringify(value) ?? 'null';
  // A huge value (a hostile or mistaken manifest) is cut, so a problem stays readable and small.
  return json.length <= MAX_QUOTED ? json : `${json.slice(0, MAX_QUOTED)}...(${json.length} characters)`;
}

/** How much of a value a problem quotes. */
const MAX_QUOTED = 120;
