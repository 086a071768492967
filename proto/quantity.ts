/**
 * Kubernetes resource quantities ("500m", "1.5", "64Mi", "1G", "1e3"), parsed to numbers.
 * Used by validation, the scheduler and the node runtime alike, so it is part of the contract.
 */

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const SUFFIX_FACTORS: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** QuantityError is thrown for a string that is not a Kubernetes quantity. */
export class QuantityError extends Error {
  override name = 'QuantityError';
}

/** isQuantity tells whether a value (string or number) is a well-formed quantity. */
export function isQuantity(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' && QUANTITY.test(value);
}

/** parseQuantity returns the quantity in base units (cores for cpu, bytes for memory). */
export function parseQuantity(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new QuantityError(`quantity ${value} is not finite`);
    return value;
  }
  const m = QUANTITY.exec(value);
  if (!m) {
    throw new QuantityError(`"${value}" is not a quantity: use a number with an optional suffix, e.g. 500m, 2, 64Mi, 1G`);
  }
  const number = Number(m[1]);
  const suffix = m[2] ?? '';
  const factor = SUFFIX_FACTORS[suffix] ?? 10 ** Number(suffix.slice(1));
  return number * factor;
}

/** cpuMillis converts a cpu quantity to millicores, rounding up like Kubernetes. */
export function cpuMillis(value: string | number): number {
  return Math.ceil(parseQuantity(value) * 1000 - 1e-9);
}

/** memoryBytes converts a memory quantity to whole bytes, rounding up. */
export function memoryBytes(value: string | number): number {
  return Math.ceil(parseQuantity(value) - 1e-9);
}
