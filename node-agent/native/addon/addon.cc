// berth_native: the syscalls the node agent needs that Node lacks (DESIGN.md section 5).
// Every function is synchronous and throws Node-style errors (code, errno, syscall, path).
#include <napi.h>

#include "common.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  berth::InitFsAt(env, exports);
  berth::InitResolve(env, exports);
  berth::InitMount(env, exports);
  berth::InitXattr(env, exports);
  berth::InitPidfd(env, exports);
  return exports;
}

NODE_API_MODULE(berth_native, Init)
