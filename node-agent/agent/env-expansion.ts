/**
 * Kubernetes' `$(VAR)` expansion, as the kubelet applies it to a container's env values,
 * command and args: `$(NAME)` is replaced by NAME's value when the mapping knows NAME and
 * stays as written otherwise; `$$` is one literal `$`; any other `$` (bare, at the end, or
 * opening a `$(` that never closes) is kept. Nothing is expanded twice: a replacement is
 * copied as it is, even when it contains `$(...)` itself.
 */

/** Mapping gives a variable's value, or undefined when it is not defined. */
export type Mapping = (name: string) => string | undefined;

/** expand replaces the references in `input` through `mapping`. */
export function expand(input: string, mapping: Mapping): string {
  let out = '';
  let copiedUpTo = 0;
  for (let at = 0; at < input.length; at++) {
    if (input[at] !== '$' || at + 1 >= input.length) continue;
    out += input.slice(copiedUpTo, at);
    const next = input[at + 1];
    if (next === '$') {
      out += '$';
      at += 1;
    } else if (next === '(') {
      const close = input.indexOf(')', at + 2);
      if (close < 0) {
        // An unterminated reference: keep the `$(` and go on scanning after it.
        out += '$(';
        at += 1;
      } else {
        const name = input.slice(at + 2, close);
        out += mapping(name) ?? `$(${name})`;
        at = close;
      }
    } else {
      // A `$` that opens nothing: kept with the character after it, which is not rescanned.
      out += `$${next ?? ''}`;
      at += 1;
    }
    copiedUpTo = at + 1;
  }
  return out + input.slice(copiedUpTo);
}

/** A container's environment, command and args once Kubernetes' expansion has run. */
export interface ExpandedContainer {
  env: Array<{ name: string; value: string }>;
  command?: string[];
  args?: string[];
}

/** SpecVariable is one of the container's own variables: a literal to expand, or a value resolved elsewhere (valueFrom), used as is. */
export type SpecVariable = { name: string; literal: string } | { name: string; resolved: string };

/**
 * expandContainer is the kubelet's environment assembly: each of the container's variables in
 * order, a literal expanded from those defined before it and the Service variables; then the
 * Service variables the container does not define itself. Command and args expand from that
 * whole environment.
 */
export function expandContainer(own: SpecVariable[], services: Array<{ name: string; value: string }>, command: string[] | undefined, args: string[] | undefined): ExpandedContainer {
  const defined = new Map<string, string>();
  const serviceValues = new Map(services.map((s) => [s.name, s.value]));
  const earlier: Mapping = (name) => defined.get(name) ?? serviceValues.get(name);
  for (const v of own) defined.set(v.name, 'literal' in v ? (v.literal === '' ? '' : expand(v.literal, earlier)) : v.resolved);
  const env = [...defined].map(([name, value]) => ({ name, value }));
  for (const s of services) if (!defined.has(s.name)) env.push(s);
  const all = new Map(env.map((e) => [e.name, e.value]));
  const whole: Mapping = (name) => all.get(name);
  return {
    env,
    ...(command !== undefined ? { command: command.map((c) => expand(c, whole)) } : {}),
    ...(args !== undefined ? { args: args.map((a) => expand(a, whole)) } : {}),
  };
}
