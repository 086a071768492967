import { matches, parseSelector, SelectorSyntaxError } from '../../proto/labels.js';
import type { Selector } from '../../proto/labels.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import { InvalidError } from '../errors.js';
import type { PrefixWatch, StoreEvent, StoreEventType } from '../store/prefix-watch.js';

/** labelSelector parses a request's label selector; bad syntax is the caller's error (InvalidError). */
export function labelSelector(text: string): Selector {
  try {
    return parseSelector(text);
  } catch (err) {
    if (err instanceof SelectorSyntaxError) throw new InvalidError(err.message);
    throw err;
  }
}

/** WatchedChange is one change a watcher is sent. */
export interface WatchedChange {
  type: StoreEventType;
  object: BerthObject;
}

/** ObjectWatch is a watch as a ClusterAPI client sees it; close() ends it (and its etcd watch). */
export interface ObjectWatch extends AsyncIterable<WatchedChange> {
  close(): void;
}

/**
 * selectedChange is what a watcher with a label selector sees of a change, as in Kubernetes: an
 * object that starts to match is ADDED, one that stops matching is DELETED, and a deletion is
 * sent when the object matched before it (or when that is not known: a client ignores a DELETED
 * of what it does not have). Undefined: nothing to send.
 */
export function selectedChange(selector: Selector, event: StoreEvent): StoreEventType | undefined {
  if (selector.length === 0) return event.type;
  const before = event.previous?.();
  const matchedBefore = before ? matches(selector, before.metadata.labels) : undefined;
  if (event.type === 'DELETED') return matchedBefore === false ? undefined : 'DELETED';
  const matchesNow = matches(selector, event.object.metadata.labels);
  if (event.type === 'ADDED') return matchesNow ? 'ADDED' : undefined;
  if (matchesNow) return matchedBefore === false ? 'ADDED' : 'MODIFIED';
  return matchedBefore === false ? undefined : 'DELETED';
}

/** selectedWatch is a store watch as seen through a label selector. */
export function selectedWatch(watch: PrefixWatch, selector: Selector): ObjectWatch {
  return {
    close: () => watch.close(),
    async *[Symbol.asyncIterator]() {
      for await (const event of watch) {
        const type = selectedChange(selector, event);
        if (type) yield { type, object: event.object };
      }
    },
  };
}
