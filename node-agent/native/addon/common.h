// Shared helpers for the berth_native addon: argument decoding and errno -> JS error mapping.
#pragma once
#include <napi.h>
#include <spawn.h>
#include <string>
#include <vector>

namespace berth {

// A JS Error shaped like Node's fs errors (see ThrowErrno), for rejecting a Promise.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& path = "",
                       const std::string& dest = "");
// Throws a JS Error shaped like Node's fs errors: message "ENOENT: <strerror>, <syscall> '<path>'",
// with code, errno (negative, as Node does), syscall, path and optionally dest.
Napi::Value ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& path = "",
                       const std::string& dest = "");
Napi::Value ThrowType(Napi::Env env, const std::string& message);

// Argument readers. Each returns false after throwing a TypeError into env.
bool ArgPath(const Napi::CallbackInfo& info, size_t i, const char* name, std::string* out);
bool ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t* out);
bool ArgOptInt(const Napi::CallbackInfo& info, size_t i, int64_t dflt, int64_t* out);
bool ArgOptString(const Napi::CallbackInfo& info, size_t i, std::string* out, bool* present);
// InitCleanSpawnAttr initialises `attr` so the child starts with default handling for every
// signal and nothing blocked: Node ignores SIGPIPE, and an ignored signal stays ignored across
// exec. The caller destroys it.
void InitCleanSpawnAttr(posix_spawnattr_t* attr);
// ArgStrings reads an array of strings (argv, env), appending to `out`.
bool ArgStrings(Napi::Env env, Napi::Value v, const char* name, std::vector<std::string>* out);

// Registration functions, one per source file.
void InitFsAt(Napi::Env env, Napi::Object exports);
void InitResolve(Napi::Env env, Napi::Object exports);
void InitMount(Napi::Env env, Napi::Object exports);
void InitXattr(Napi::Env env, Napi::Object exports);
void InitSpawn(Napi::Env env, Napi::Object exports);
void InitAttached(Napi::Env env, Napi::Object exports);
void InitNetns(Napi::Env env, Napi::Object exports);
void InitNetnsConnect(Napi::Env env, Napi::Object exports);
void InitInodeFlags(Napi::Env env, Napi::Object exports);

// Used by resolve.cc and exposed for tests: disable openat2 to exercise the fallback walk.
extern bool g_openat2_disabled;

}  // namespace berth
