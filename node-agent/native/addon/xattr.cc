// Extended attributes: fsetxattr sets them on an fd (trusted.overlay.opaque on an overlay lower
// directory, the xattrs of a layer's entries); lgetxattr reads one without following a symlink.
#include <sys/xattr.h>

#include <cerrno>
#include <string>
#include <vector>

#include "common.h"

namespace berth {
namespace {

bool ArgValue(const Napi::CallbackInfo& info, size_t i, std::string* out) {
  if (info.Length() > i && info[i].IsBuffer()) {
    auto b = info[i].As<Napi::Buffer<char>>();
    out->assign(b.Data(), b.Length());
    return true;
  }
  if (info.Length() > i && info[i].IsString()) {
    *out = info[i].As<Napi::String>().Utf8Value();
    return true;
  }
  ThrowType(info.Env(), "argument 'value' must be a string or Buffer");
  return false;
}

Napi::Value Fsetxattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd, flags;
  std::string name, value;
  if (!ArgInt(info, 0, "fd", &fd) || !ArgPath(info, 1, "name", &name) || !ArgValue(info, 2, &value) ||
      !ArgOptInt(info, 3, 0, &flags))
    return env.Undefined();
  if (fsetxattr((int)fd, name.c_str(), value.data(), value.size(), (int)flags) != 0)
    return ThrowErrno(env, errno, "fsetxattr", name);
  return env.Undefined();
}

// Returns a Buffer; throws ENODATA when the attribute is absent.
template <typename Get>
Napi::Value GetXattr(Napi::Env env, const char* syscallName, const std::string& desc, Get get) {
  for (int attempt = 0; attempt < 4; attempt++) {
    ssize_t n = get(nullptr, 0);
    if (n < 0) return ThrowErrno(env, errno, syscallName, desc);
    std::vector<char> buf(n > 0 ? n : 1);
    ssize_t m = get(buf.data(), buf.size());
    if (m >= 0) return Napi::Buffer<char>::Copy(env, buf.data(), m);
    if (errno != ERANGE) return ThrowErrno(env, errno, syscallName, desc);
  }
  return ThrowErrno(env, ERANGE, syscallName, desc);
}

Napi::Value Lgetxattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path, name;
  if (!ArgPath(info, 0, "path", &path) || !ArgPath(info, 1, "name", &name)) return env.Undefined();
  return GetXattr(env, "lgetxattr", path,
                  [&](char* b, size_t n) { return lgetxattr(path.c_str(), name.c_str(), b, n); });
}

}  // namespace

void InitXattr(Napi::Env env, Napi::Object exports) {
  exports.Set("fsetxattr", Napi::Function::New(env, Fsetxattr, "fsetxattr"));
  exports.Set("lgetxattr", Napi::Function::New(env, Lgetxattr, "lgetxattr"));
}

}  // namespace berth
