/**
 * Reading berth-runtime's state directory (<state root>/<id>/) from disk instead of running
 * `berth-runtime state` or `list`. The directory's layout is a documented, versioned part of
 * berth-runtime's contract: format version 1, described in the header comment of
 * node-agent/native/runtime/state.c, which also says how the status is derived. This file
 * derives it the same way, so what it returns equals what `berth-runtime state` prints (the
 * integration test runtime-native/native-state-dir.test.ts holds the two together).
 *
 * Why: every command the agent runs costs a fork of its whole process on its one thread, and
 * state was asked for four to five times per container start. Changes (create, start, kill,
 * delete) still go through the binary; only reading moves here.
 *
 * The reads are synchronous on purpose: a few files of some hundred bytes in a local
 * directory, each read costs less than the promise and thread-pool round trips of fs/promises.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeState } from './berth-runtime-cli.js';

/** The state directory format version this reader understands (state.c: STATE_FORMAT_VERSION). */
export const supportedStateVersion = 1;

/**
 * StateDirRead is used for the outcome of reading one container's state directory.
 * - `absent`: berth-runtime does not know the id, or the container is still being created
 *   (no state.json yet; `berth-runtime list` skips it too).
 * - `found`: the state, equal to what `berth-runtime state` prints, and init's start time
 *   (pidStart, for initRuns: a recycled pid does not count as init).
 * - `unsupported`: written in a format version this reader does not know; ask the binary.
 */
export type StateDirRead = { kind: 'absent' } | { kind: 'found'; state: RuntimeState; pidStart: number } | { kind: 'unsupported'; version: unknown };

/** StateDirList is used for the states of every container under a state root, or `unsupported` if any is in an unknown format. */
export type StateDirList = { kind: 'found'; states: RuntimeState[] } | { kind: 'unsupported' };

/** What state.json holds (format version 1); only the fields a status needs. */
interface StateFile {
  stateVersion?: unknown;
  ociVersion?: unknown;
  pid?: unknown;
  pidStart?: unknown;
  monitorPid?: unknown;
  bundle?: unknown;
  annotations?: unknown;
  created?: unknown;
}

/** Reads the state of container `id` under `stateRoot` (berth-runtime's --root). */
export function readStateDir(stateRoot: string, id: string): StateDirRead {
  if (id === '' || id === '.' || id === '..' || id.includes('/')) return { kind: 'absent' };
  const dir = join(stateRoot, id);
  const names = readNames(dir);
  if (!names?.has('state.json')) return { kind: 'absent' };
  const doc = readJson(join(dir, 'state.json')) as StateFile | undefined;
  if (doc === undefined) return { kind: 'absent' }; // deleted since the directory was listed
  const version = doc.stateVersion ?? 1;
  if (version !== supportedStateVersion) return { kind: 'unsupported', version };

  const started = names.has('started') ? readText(join(dir, 'started')) : undefined;
  const exit = names.has('exit') ? (readJson(join(dir, 'exit')) as Record<string, unknown> | undefined) : undefined;
  const pid = int(doc.pid);
  const pidStart = int(doc.pidStart);
  let status: RuntimeState['status'];
  if (exit !== undefined) status = 'stopped';
  else if (!initRuns(pid, pidStart)) status = 'stopped';
  else status = names.has('exec.fifo') ? 'created' : 'running';

  // Built in the order and shape state_to_json prints.
  const state: RuntimeState = {
    ociVersion: typeof doc.ociVersion === 'string' ? doc.ociVersion : '1.0.2',
    id,
    status,
    pid: status === 'stopped' ? 0 : pid,
    bundle: typeof doc.bundle === 'string' ? doc.bundle : '',
    annotations: isObject(doc.annotations) ? (doc.annotations as Record<string, string>) : {},
  };
  if (typeof doc.created === 'string') state.created = doc.created;
  if (started) state.startedAt = started;
  if (exit !== undefined) {
    state.exitCode = int(exit.exitCode);
    state.oomKilled = exit.oomKilled === true;
    state.finishedAt = typeof exit.finishedAt === 'string' ? exit.finishedAt : '';
  }
  state.monitorPid = int(doc.monitorPid);
  return { kind: 'found', state, pidStart };
}

/** Reads every container's state under `stateRoot`, as `berth-runtime list` prints them (in directory order). */
export function listStateDir(stateRoot: string): StateDirList {
  const states: RuntimeState[] = [];
  for (const id of readNames(stateRoot) ?? []) {
    if (id.startsWith('.')) continue;
    const read = readStateDir(stateRoot, id);
    if (read.kind === 'unsupported') return { kind: 'unsupported' };
    if (read.kind === 'found') states.push(read.state);
  }
  return { kind: 'found', states };
}

/**
 * Whether init still runs: /proc/<pid>/stat exists, is no zombie, and its start time (field
 * 22) is the recorded one, so a recycled pid does not count (as proc_start_time in state.c).
 */
export function initRuns(pid: number, pidStart: number): boolean {
  if (pid <= 0) return false;
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return false;
  // Fields after the command name, which may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === undefined || state.startsWith('Z') || state.startsWith('X')) return false;
  const start = Number(fields[19]);
  return start !== 0 && start === pidStart;
}

function readNames(dir: string): Set<string> | undefined {
  try {
    return new Set(readdirSync(dir));
  } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (isGone(err) || (err as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw err;
  }
}

/** The parsed file, or undefined when it is gone or not JSON (berth-runtime ignores an unreadable exit record too). */
function readJson(path: string): unknown {
  const text = readText(path);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An integer field as berth-runtime reads it: anything else counts as 0. */
function int(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) ? value : 0;
}
