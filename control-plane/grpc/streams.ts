import type * as grpc from '@grpc/grpc-js';
import type { WatchEvent } from '../../proto/generated/berth/v1/WatchEvent.js';
import type { ObjectWatch } from '../api/selected-watch.js';
import { failStream } from './errors.js';

/** onClientGone calls `done` when the client cancels or the stream closes or fails. */
export function onClientGone(call: grpc.ServerWritableStream<unknown, unknown>, done: () => void): void {
  call.on('cancelled', done);
  call.on('close', done);
  call.on('error', done);
}

/**
 * serveSubscription keeps a subscription open for as long as the client stays: `subscribe`
 * resolves with its stop function once the initial events are written (then `afterInitial`
 * runs); a client gone before that, or later, stops it. A failure ends the stream with a status.
 */
export function serveSubscription(call: grpc.ServerWritableStream<unknown, unknown>, subscribe: () => Promise<() => void>, afterInitial?: () => void): void {
  let unsubscribe: (() => void) | undefined;
  let gone = false;
  onClientGone(call, () => {
    gone = true;
    unsubscribe?.();
  });
  subscribe().then(
    (stop) => {
      if (gone) return stop();
      unsubscribe = stop;
      afterInitial?.();
    },
    (err: unknown) => failStream(call, err),
  );
}

/**
 * serveWatch writes a watch's changes to the stream until the client goes away or the watch
 * ends; `open` may throw (a bad selector), which ends the stream with that error's status.
 */
export function serveWatch(call: grpc.ServerWritableStream<unknown, WatchEvent>, open: () => ObjectWatch): void {
  let watch: ObjectWatch;
  try {
    watch = open();
  } catch (err) {
    failStream(call, err);
    return;
  }
  onClientGone(call, () => watch.close());
  void (async () => {
    try {
      for await (const { type, object } of watch) call.write({ type, object_json: JSON.stringify(object) });
      call.end();
    } catch (err) {
      failStream(call, err);
    }
  })();
}
