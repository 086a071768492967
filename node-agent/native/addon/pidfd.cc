// pidfd_open(2) and pidfd_send_signal(2): signal a process without the PID-reuse race.
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string>

#include "common.h"

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK 04000
#endif

namespace berth {
namespace {

Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t pid, flags;
  if (!ArgInt(info, 0, "pid", &pid) || !ArgOptInt(info, 1, 0, &flags)) return env.Undefined();
  long fd = syscall(SYS_pidfd_open, (pid_t)pid, (unsigned int)flags);
  if (fd < 0) return ThrowErrno(env, errno, "pidfd_open", "pid " + std::to_string(pid));
  return Napi::Number::New(env, (double)fd);
}

Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd, sig, flags;
  if (!ArgInt(info, 0, "pidfd", &fd) || !ArgInt(info, 1, "signal", &sig) || !ArgOptInt(info, 2, 0, &flags))
    return env.Undefined();
  if (syscall(SYS_pidfd_send_signal, (int)fd, (int)sig, nullptr, (unsigned int)flags) != 0)
    return ThrowErrno(env, errno, "pidfd_send_signal", "pidfd " + std::to_string(fd));
  return env.Undefined();
}

}  // namespace

void InitPidfd(Napi::Env env, Napi::Object exports) {
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal, "pidfdSendSignal"));
  exports.Set("PIDFD_NONBLOCK", Napi::Number::New(env, PIDFD_NONBLOCK));
}

}  // namespace berth
