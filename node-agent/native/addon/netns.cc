// Network (and IPC) namespaces for pods, made in-process instead of with `ip netns add` (two fork+execs
// per pod: `ip`, then `ip netns exec … ip link set lo up`).
//
// unshare(CLONE_NEWNET) and setns() change the namespace of the calling thread only. Each call
// therefore runs on a thread of its own (thread_call.h) that enters the namespace, does its
// work and ends; the agent's other threads never leave the node's namespace, and there is
// nothing to switch back. The result is what `ip netns add` leaves: a bind mount of the
// namespace on a file, so `ip netns exec <name>` and the runtime find it by path.
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common.h"
#include "thread_call.h"

namespace berth {
namespace {

struct NetnsResult {
  int err = 0;
  const char* syscall = nullptr;
};

NetnsResult Fail(const char* syscall) {
  return NetnsResult{errno, syscall};
}

// Sets the loopback interface of the calling thread's network namespace up (IFF_UP).
NetnsResult LoopbackUp() {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return Fail("socket");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  NetnsResult res;
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) {
    res = Fail("ioctl(SIOCGIFFLAGS)");
  } else if (!(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) != 0) res = Fail("ioctl(SIOCSIFFLAGS)");
  }
  close(sock);
  return res;
}

// A new network namespace bound on `path` (a new, empty file), with its loopback up. On
// failure nothing is left: the file is removed again.
NetnsResult CreateNetns(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) return Fail("open");
  close(fd);
  NetnsResult res;
  if (unshare(CLONE_NEWNET) != 0) {
    res = Fail("unshare");
  } else if (mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
    res = Fail("mount");
  } else {
    res = LoopbackUp();
    if (res.err != 0) umount2(path.c_str(), MNT_DETACH);
  }
  if (res.err != 0) unlink(path.c_str());
  return res;
}

// A new IPC namespace bound on `path` (a new, empty file), for the containers of one pod to
// share (System V IPC and POSIX message queues), as the network namespace is shared. On failure
// nothing is left: the file is removed again.
NetnsResult CreateIpcns(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) return Fail("open");
  close(fd);
  NetnsResult res;
  if (unshare(CLONE_NEWIPC) != 0) res = Fail("unshare");
  else if (mount("/proc/thread-self/ns/ipc", path.c_str(), "none", MS_BIND, nullptr) != 0) res = Fail("mount");
  if (res.err != 0) unlink(path.c_str());
  return res;
}

// Enters the namespace bound on `path` and sets its loopback up (an agent restarted after a
// crash between the two steps of CreateNetns finds it down).
NetnsResult EnsureLoopbackUp(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail("open");
  NetnsResult res;
  if (setns(fd, CLONE_NEWNET) != 0) res = Fail("setns");
  close(fd);
  return res.err != 0 ? res : LoopbackUp();
}

Napi::Value OnThread(const Napi::CallbackInfo& info, const char* name, NetnsResult (*work)(const std::string&)) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ArgPath(info, 0, "path", &path)) return env.Undefined();
  return RunOnThread<NetnsResult>(
      env, name, [work, path]() { return work(path); },
      [path](Napi::Env env, Napi::Promise::Deferred& deferred, NetnsResult& res) {
        if (res.err != 0) deferred.Reject(ErrnoError(env, res.err, res.syscall, path).Value());
        else deferred.Resolve(env.Undefined());
      });
}

// netnsCreate(path) -> Promise<void>; rejects with EEXIST when `path` exists.
Napi::Value NetnsCreate(const Napi::CallbackInfo& info) {
  return OnThread(info, "berth.netnsCreate", CreateNetns);
}

// netnsLoopbackUp(path) -> Promise<void>
Napi::Value NetnsLoopbackUp(const Napi::CallbackInfo& info) {
  return OnThread(info, "berth.netnsLoopbackUp", EnsureLoopbackUp);
}

// ipcnsCreate(path) -> Promise<void>; rejects with EEXIST when `path` exists.
Napi::Value IpcnsCreate(const Napi::CallbackInfo& info) {
  return OnThread(info, "berth.ipcnsCreate", CreateIpcns);
}

}  // namespace

void InitNetns(Napi::Env env, Napi::Object exports) {
  exports.Set("netnsCreate", Napi::Function::New(env, NetnsCreate, "netnsCreate"));
  exports.Set("netnsLoopbackUp", Napi::Function::New(env, NetnsLoopbackUp, "netnsLoopbackUp"));
  exports.Set("ipcnsCreate", Napi::Function::New(env, IpcnsCreate, "ipcnsCreate"));
}

}  // namespace berth
