/**
 * busybox images standing in for the web servers that manifests name (nginx, the docs' sample
 * apps), pushed to the local cluster's registry: same base layer, a config whose command serves.
 */
import { buildBusyboxImage } from '../../cli/local-cluster/busybox-image.js';

/**
 * The config of a stand-in web server: on port 80, a page naming the pod. It exits at once on
 * SIGTERM, as nginx does: httpd alone, as the container's pid 1, would ignore SIGTERM and make
 * every deletion wait out the grace period (30 s by default).
 */
export const HTTPD_STAND_IN_CONFIG = {
  Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
  Cmd: ['sh', '-c', 'trap "exit 0" TERM; hostname > /index.html; httpd -f -p 80 & wait'],
  WorkingDir: '/',
};

/** pushNginxStandIns pushes the stand-in under the nginx tags the documentation's manifests use. */
export async function pushNginxStandIns(registry: string): Promise<void> {
  await buildBusyboxImage(registry, 'library/nginx', '1.14.2', undefined, { config: HTTPD_STAND_IN_CONFIG, extraTags: ['1.15', '1.16.1', 'latest'] });
}
