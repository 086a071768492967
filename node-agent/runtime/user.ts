/**
 * Which uid, gid and supplementary groups a container's process runs as: the image's `User`
 * ("name", "uid", "name:group", "uid:gid"…) resolved against the rootfs's /etc/passwd and
 * /etc/group, unless the spec's securityContext says otherwise (as containerd's CRI does).
 * Pure: the caller reads the two files (safely, inside the rootfs) and passes their text.
 */
import { InvalidSpecError } from './errors.js';

/** ProcessUser is used for the identity a container's process gets (OCI `process.user`). */
export interface ProcessUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** From the passwd entry when there is one; '/' otherwise. Becomes HOME unless the env sets it. */
  home: string;
}

/** UserRequest is used for the inputs that decide a process's identity. */
export interface UserRequest {
  /** The image config's User; '' or absent means root. */
  imageUser?: string;
  runAsUser?: number;
  runAsGroup?: number;
  /** Refuse to run as uid 0. */
  runAsNonRoot?: boolean;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** Parses /etc/passwd text; malformed lines are skipped, as libc does. */
export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 7 || line.startsWith('#')) continue;
    const uid = parseId(fields[2] ?? '');
    const gid = parseId(fields[3] ?? '');
    if (uid === undefined || gid === undefined) continue;
    entries.push({ name: fields[0] ?? '', uid, gid, home: fields[5] || '/' });
  }
  return entries;
}

/** Parses /etc/group text; malformed lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 4 || line.startsWith('#')) continue;
    const gid = parseId(fields[2] ?? '');
    if (gid === undefined) continue;
    const members = (fields[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean);
    entries.push({ name: fields[0] ?? '', gid, members });
  }
  return entries;
}

function parseId(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const id = Number(text);
  return id <= 0xffffffff ? id : undefined;
}

/**
 * Resolves the identity. `passwd`/`group` are the files' text, or undefined when the image
 * has none (then only numeric ids work). Throws InvalidSpecError for a name not found.
 */
export function resolveUser(request: UserRequest, passwd: string | undefined, group: string | undefined): ProcessUser {
  const users = parsePasswd(passwd ?? '');
  const groups = parseGroup(group ?? '');
  const [imageUserPart = '', imageGroupPart] = (request.imageUser ?? '').split(':', 2);
  // runAsUser replaces the image's whole User (its group too); runAsGroup replaces only the group.
  const userPart = request.runAsUser !== undefined ? String(request.runAsUser) : imageUserPart;
  const groupPart =
    request.runAsGroup !== undefined
      ? String(request.runAsGroup)
      : request.runAsUser !== undefined
        ? undefined
        : imageGroupPart;

  let entry: PasswdEntry | undefined;
  let uid: number;
  const numericUid = parseId(userPart);
  if (userPart === '') {
    uid = 0;
    entry = users.find((u) => u.uid === 0);
  } else if (numericUid !== undefined) {
    uid = numericUid;
    entry = users.find((u) => u.uid === uid);
  } else {
    entry = users.find((u) => u.name === userPart);
    if (!entry) throw new InvalidSpecError('user', `user '${userPart}' not found in the image's /etc/passwd`);
    uid = entry.uid;
  }

  if (request.runAsNonRoot && uid === 0) {
    throw new InvalidSpecError(
      'securityContext.runAsNonRoot',
      'the container would run as root (uid 0): set runAsUser, or use an image whose USER is not root',
    );
  }

  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== '') {
    const numericGid = parseId(groupPart);
    if (numericGid !== undefined) gid = numericGid;
    else {
      const found = groups.find((g) => g.name === groupPart);
      if (!found) throw new InvalidSpecError('user', `group '${groupPart}' not found in the image's /etc/group`);
      gid = found.gid;
    }
  }

  const name = entry?.name;
  const additionalGids =
    name === undefined ? [] : [...new Set(groups.filter((g) => g.members.includes(name)).map((g) => g.gid))].filter((g) => g !== gid);
  return { uid, gid, additionalGids, home: entry?.home ?? '/' };
}

/**
 * withPodGroups adds the pod's supplementalGroups and fsGroup to a process's supplementary
 * groups (as Kubernetes does), so every container can use the volumes fsGroup gives that group.
 */
export function withPodGroups(user: ProcessUser, pod: { fsGroup?: number; supplementalGroups?: number[] }): ProcessUser {
  const extra = [...(pod.supplementalGroups ?? []), ...(pod.fsGroup !== undefined ? [pod.fsGroup] : [])];
  if (extra.length === 0) return user;
  return { ...user, additionalGids: [...new Set([...user.additionalGids, ...extra])] };
}
