/**
 * Decision is what the authorization policy answers for one call: allowed, or refused with
 * `refused` saying what the caller may not do, written to follow "<identity> may not …"
 * ("update the status of pod default/web-0: it is bound to node b").
 */
export type Decision = { allowed: true } | { allowed: false; refused: string };

/** The decision that lets a call through. */
export const ALLOW: Decision = { allowed: true };

/** A refusal of `refused` (see Decision). */
export function deny(refused: string): Decision {
  return { allowed: false, refused };
}

/** The first refusal among `decisions`, or ALLOW when every one allows. */
export function firstRefusal(decisions: Iterable<Decision>): Decision {
  for (const decision of decisions) if (!decision.allowed) return decision;
  return ALLOW;
}
