/** apiTimestamp formats a time as Kubernetes objects carry times: RFC 3339, whole seconds, UTC. */
export function apiTimestamp(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
