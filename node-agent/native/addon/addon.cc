// berth_native: the syscalls the node agent needs that Node lacks.
// Functions are synchronous and throw Node-style errors (code, errno, syscall, path), except
// the few named *Async or returning a Promise: those run on a thread of their own (thread_call.h).
#include <napi.h>

#include "common.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  berth::InitFsAt(env, exports);
  berth::InitResolve(env, exports);
  berth::InitMount(env, exports);
  berth::InitXattr(env, exports);
  berth::InitSpawn(env, exports);
  berth::InitAttached(env, exports);
  berth::InitNetns(env, exports);
  berth::InitNetnsConnect(env, exports);
  berth::InitInodeFlags(env, exports);
  return exports;
}

NODE_API_MODULE(berth_native, Init)
