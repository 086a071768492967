/** DeploymentParts is used to vary the one Deployment manifest the validation tests start from. */
export interface DeploymentParts {
  /** Merged into `spec`. */
  spec?: Record<string, unknown>;
  /** Merged into the pod template's `spec`. */
  podSpec?: Record<string, unknown>;
  /** Merged into the one container `web`. */
  container?: Record<string, unknown>;
  image?: string;
}

/** deploymentManifest is a valid Deployment `web` (selector app=web), as a user would write it, with `parts` merged in. */
export function deploymentManifest(parts: DeploymentParts = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: parts.image ?? 'busybox', ...parts.container }], ...parts.podSpec } },
      ...parts.spec,
    },
  };
}
