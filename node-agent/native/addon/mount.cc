// mount(2) and umount2(2), for overlay rootfs and bind mounts.
#include <sys/mount.h>

#include <cerrno>
#include <string>

#include "common.h"
#include "thread_call.h"

namespace berth {
namespace {

// The arguments of mount and mountAsync: (source, target, fstype, flags?, data?).
struct MountArgs {
  std::string source, target, fstype, data;
  int64_t flags = 0;
  bool hasData = false;

  // Reads them from `info`; false after throwing a TypeError.
  bool Read(const Napi::CallbackInfo& info) {
    return ArgPath(info, 0, "source", &source) && ArgPath(info, 1, "target", &target) &&
           ArgPath(info, 2, "fstype", &fstype) && ArgOptInt(info, 3, 0, &flags) && ArgOptString(info, 4, &data, &hasData);
  }

  // mount(2); 0 or the errno.
  int Mount() const {
    int rc = mount(source.c_str(), target.c_str(), fstype.empty() ? nullptr : fstype.c_str(), (unsigned long)flags,
                   hasData ? data.c_str() : nullptr);
    return rc != 0 ? errno : 0;
  }
};

// mount(source, target, fstype, flags, data?)
Napi::Value Mount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MountArgs args;
  if (!args.Read(info)) return env.Undefined();
  if (int err = args.Mount()) return ThrowErrno(env, err, "mount", args.target, args.source);
  return env.Undefined();
}

struct MountResult {
  int err = 0;
};

// mountAsync(source, target, fstype, flags, data?) -> Promise<void>: mount(2) on a thread of its
// own. An overlay mount takes milliseconds in the kernel, an unmount that flushes longer.
Napi::Value MountAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MountArgs args;
  if (!args.Read(info)) return env.Undefined();
  return RunOnThread<MountResult>(
      env, "berth.mount", [args]() { return MountResult{args.Mount()}; },
      [args](Napi::Env env, Napi::Promise::Deferred& deferred, MountResult& res) {
        if (res.err != 0) deferred.Reject(ErrnoError(env, res.err, "mount", args.target, args.source).Value());
        else deferred.Resolve(env.Undefined());
      });
}

// umount2Async(target, flags?) -> Promise<void>
Napi::Value Umount2Async(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string target;
  int64_t flags;
  if (!ArgPath(info, 0, "target", &target) || !ArgOptInt(info, 1, 0, &flags)) return env.Undefined();
  return RunOnThread<MountResult>(
      env, "berth.umount2", [=]() { return MountResult{umount2(target.c_str(), (int)flags) != 0 ? errno : 0}; },
      [target](Napi::Env env, Napi::Promise::Deferred& deferred, MountResult& res) {
        if (res.err != 0) deferred.Reject(ErrnoError(env, res.err, "umount2", target).Value());
        else deferred.Resolve(env.Undefined());
      });
}

}  // namespace

void InitMount(Napi::Env env, Napi::Object exports) {
  exports.Set("mount", Napi::Function::New(env, Mount, "mount"));
  exports.Set("mountAsync", Napi::Function::New(env, MountAsync, "mountAsync"));
  exports.Set("umount2Async", Napi::Function::New(env, Umount2Async, "umount2Async"));
  Napi::Object c = Napi::Object::New(env);
#define C(x) c.Set(#x, Napi::Number::New(env, (double)x))
  C(MS_BIND); C(MS_REC); C(MS_SHARED); C(MNT_DETACH);
#undef C
  exports.Set("mountConstants", c);
}

}  // namespace berth
