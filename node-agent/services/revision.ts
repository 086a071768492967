/**
 * Resource versions of the WatchServices stream, compared as what they are: etcd revisions,
 * decimal numbers that only grow. Pure.
 */

/** revisionNumber is a resource version as a number to compare; undefined for one that is not a decimal number. */
function revisionNumber(rv: string | undefined): bigint | undefined {
  if (rv === undefined || !/^\d+$/.test(rv)) return undefined;
  return BigInt(rv);
}

/** laterRevision is the later of two resource versions (one that cannot be read loses). */
export function laterRevision(a: string | undefined, b: string | undefined): string | undefined {
  const [x, y] = [revisionNumber(a), revisionNumber(b)];
  if (x === undefined) return y === undefined ? undefined : b;
  if (y === undefined) return a;
  return y > x ? b : a;
}

/**
 * earliestRevision is the earliest of resource versions: how far rules made from all of them are
 * known to reach. Any of them unknown (undefined) makes the answer unknown.
 */
export function earliestRevision(revisions: Iterable<string | undefined>): string | undefined {
  let earliest: { rv: string; n: bigint } | undefined;
  for (const rv of revisions) {
    const n = revisionNumber(rv);
    if (rv === undefined || n === undefined) return undefined;
    if (earliest === undefined || n < earliest.n) earliest = { rv, n };
  }
  return earliest?.rv;
}
