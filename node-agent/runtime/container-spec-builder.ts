/**
 * The OCI spec of one container, from the Runtime's request and the mounted rootfs: the user
 * resolved against the image's /etc/passwd and /etc/group, and the executable checked to
 * exist, so a container that can never run is refused before it is created.
 */
import { effectiveRunAs } from './container-spec.js';
import { ExecutableNotFoundError } from './errors.js';
import { buildOciSpec } from './oci-bundle.js';
import type { OciSpec } from './oci-types.js';
import { findExecutable, readFileInRoot } from './root-path.js';
import type { CreateContainerRequest } from './runtime.js';
import { resolveUser, withPodGroups } from './user.js';

/** buildContainerSpec builds the spec of container `id` whose rootfs is mounted at `rootfs`. */
export async function buildContainerSpec(id: string, request: CreateContainerRequest, rootfs: string, limits: { defaultCgroupParent: string; pidsLimit: number }): Promise<OciSpec> {
  const imageConfig = request.image.config.config ?? {};
  const user = withPodGroups(
    resolveUser(
      { imageUser: imageConfig.User, ...effectiveRunAs(request.container, request.pod ?? {}) },
      await readFileInRoot(rootfs, '/etc/passwd'),
      await readFileInRoot(rootfs, '/etc/group'),
    ),
    request.pod?.securityContext ?? {},
  );
  const spec = buildOciSpec({
    containerId: id,
    container: request.container,
    image: request.image,
    pod: request.pod ?? {},
    user,
    defaultCgroupParent: limits.defaultCgroupParent,
    pidsLimit: limits.pidsLimit,
    annotations: { 'io.berth.container.name': request.container.name, 'io.berth.image': request.image.reference },
  });
  // Caught here rather than at start: a container that can never run should not be created.
  const argv0 = spec.process.args[0] ?? '';
  const path = spec.process.env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '';
  if (!(await findExecutable(rootfs, argv0, path, spec.process.cwd))) throw new ExecutableNotFoundError(argv0, path);
  return spec;
}
