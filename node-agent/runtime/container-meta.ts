/**
 * The metadata file the runtime keeps in each container's bundle directory: what the
 * berth-runtime state does not hold (name, image, labels, creation time). Together with
 * berth-runtime's state directory it is all a new runtime instance needs to re-adopt the
 * container after an agent restart.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** ContainerMeta is used for the contents of `<bundle>/berth-container.json`. */
export interface ContainerMeta {
  id: string;
  name: string;
  image: string;
  imageDigest: string;
  labels: Record<string, string>;
  createdAt: string;
  /** The signal stop() sends first: the image's STOPSIGNAL, or SIGTERM. */
  stopSignal: string;
}

const fileName = 'berth-container.json';

/**
 * Writes the metadata atomically (rename), so a killed agent never leaves half a file. There
 * is no fsync: only a machine crash can lose the file, and a machine crash ends the container
 * it describes (readMeta then finds none, and the leftovers are removed like any half-made one).
 */
export async function writeMeta(bundleDir: string, meta: ContainerMeta): Promise<void> {
  const tmp = join(bundleDir, `.${fileName}.tmp`);
  await writeFile(tmp, JSON.stringify(meta, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, join(bundleDir, fileName));
}

/** The metadata, or undefined when the directory holds none (not a container, or one half made). */
export async function readMeta(bundleDir: string): Promise<ContainerMeta | undefined> {
  let text: string;
  try {
    text = await readFile(join(bundleDir, fileName), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as ContainerMeta;
  } catch {
    // A file cut short (power loss before an older write reached the disk): treat the directory
    // as half made, as when the file is missing, rather than stopping the whole agent.
    return undefined;
  }
}
