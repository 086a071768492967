import type { ServiceCache } from '../services/service-cache.js';
import type { ClusterZone } from './cluster-zone.js';
import { serviceRecords } from './service-records.js';

/**
 * feedZone keeps the zone equal to the Services of the cache: every Service's records now, then
 * each changed Service's again as changes come. Returns the function that stops it.
 */
export function feedZone(cache: ServiceCache, zone: ClusterZone): () => void {
  const update = (key: string) => {
    const { service, slices } = cache.get(key);
    zone.setOwner(key, serviceRecords(service, slices, zone.domain));
  };
  for (const key of cache.keys()) update(key);
  return cache.onChange(update);
}
