/**
 * Which endpoints serve a registry, in the order to try them: its mirrors first, then the
 * registry itself (containerd's hosts.toml model). Plain HTTP only where configured.
 */
import { DEFAULT_REGISTRY } from './reference.js';

/** RegistrySettings are the agent's registry settings. */
export interface RegistrySettings {
  /** Registry host (as written in references, with port) → mirror endpoints tried in order. */
  mirrors?: Record<string, string[]>;
  /** Registry hosts (with port) spoken to over plain HTTP. */
  insecureRegistries?: string[];
  /**
   * Never fall back to a registry that has mirrors: only the mirrors are asked. For clusters
   * that must not reach outside (a lab, a test run, an air-gapped site).
   */
  mirrorsOnly?: boolean;
}

/** One place to send requests for a registry. */
export interface RegistryEndpoint {
  /** Base URL without trailing slash; requests go to `${base}/v2/…`. */
  base: string;
  mirror: boolean;
}

// Docker Hub's API lives on a different host than its name.
const ORIGIN_HOST: Record<string, string> = { [DEFAULT_REGISTRY]: 'registry-1.docker.io' };

function withScheme(hostOrUrl: string, insecure: ReadonlySet<string>): string {
  if (/^https?:\/\//.test(hostOrUrl)) return hostOrUrl.replace(/\/+$/, '');
  return `${insecure.has(hostOrUrl) ? 'http' : 'https'}://${hostOrUrl.replace(/\/+$/, '')}`;
}

/** The endpoints to try for `registry`: mirrors in order, then the origin (unless mirrorsOnly). */
export function registryEndpoints(registry: string, settings: RegistrySettings): RegistryEndpoint[] {
  const insecure = new Set(settings.insecureRegistries ?? []);
  const mirrors = (settings.mirrors?.[registry] ?? []).map((m) => ({ base: withScheme(m, insecure), mirror: true }));
  const originHost = ORIGIN_HOST[registry] ?? registry;
  const origin = { base: `${insecure.has(registry) ? 'http' : 'https'}://${originHost}`, mirror: false };
  return settings.mirrorsOnly && mirrors.length > 0 ? mirrors : [...mirrors, origin];
}
