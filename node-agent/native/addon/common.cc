#include "common.h"

#include <signal.h>

#include <cerrno>
#include <cstring>

namespace berth {

static std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? std::string(name) : "E" + std::to_string(err);
}

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& path,
                       const std::string& dest) {
  std::string code = ErrnoName(err);
  std::string msg = code + ": " + strerror(err) + ", " + syscall;
  if (!path.empty()) msg += " '" + path + "'";
  if (!dest.empty()) msg += " -> '" + dest + "'";
  Napi::Error e = Napi::Error::New(env, msg);
  Napi::Object o = e.Value();
  o.Set("code", Napi::String::New(env, code));
  o.Set("errno", Napi::Number::New(env, -err));
  o.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) o.Set("path", Napi::String::New(env, path));
  if (!dest.empty()) o.Set("dest", Napi::String::New(env, dest));
  return e;
}

Napi::Value ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& path,
                       const std::string& dest) {
  ErrnoError(env, err, syscall, path, dest).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value ThrowType(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

bool ArgPath(const Napi::CallbackInfo& info, size_t i, const char* name, std::string* out) {
  if (info.Length() > i && info[i].IsString()) {
    *out = info[i].As<Napi::String>().Utf8Value();
  } else if (info.Length() > i && info[i].IsBuffer()) {
    auto b = info[i].As<Napi::Buffer<char>>();
    out->assign(b.Data(), b.Length());
  } else {
    ThrowType(info.Env(), std::string("argument '") + name + "' must be a string or Buffer");
    return false;
  }
  if (out->find('\0') != std::string::npos) {
    ThrowType(info.Env(), std::string("argument '") + name + "' must not contain NUL bytes");
    return false;
  }
  return true;
}

bool ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t* out) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    ThrowType(info.Env(), std::string("argument '") + name + "' must be a number");
    return false;
  }
  *out = info[i].As<Napi::Number>().Int64Value();
  return true;
}

bool ArgOptInt(const Napi::CallbackInfo& info, size_t i, int64_t dflt, int64_t* out) {
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) {
    *out = dflt;
    return true;
  }
  return ArgInt(info, i, "flags", out);
}

bool ArgOptString(const Napi::CallbackInfo& info, size_t i, std::string* out, bool* present) {
  *present = false;
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return true;
  *present = true;
  return ArgPath(info, i, "data", out);
}

bool ArgStrings(Napi::Env env, Napi::Value v, const char* name, std::vector<std::string>* out) {
  if (!v.IsArray()) {
    ThrowType(env, std::string("'") + name + "' must be an array of strings");
    return false;
  }
  auto arr = v.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value item = arr.Get(i);
    if (!item.IsString()) {
      ThrowType(env, std::string("'") + name + "' must be an array of strings");
      return false;
    }
    out->push_back(item.As<Napi::String>().Utf8Value());
  }
  return true;
}

void InitCleanSpawnAttr(posix_spawnattr_t* attr) {
  posix_spawnattr_init(attr);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(attr, &all);
  posix_spawnattr_setsigmask(attr, &none);
  posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
}

}  // namespace berth
