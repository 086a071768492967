// netnsConnect: a TCP connection made from inside a network namespace, for probes of a pod the
// node cannot route to (a pod with loopback only). As in netns.cc, setns changes the namespace
// of the calling thread only: the connect runs on a thread of its own that enters the
// namespace, connects within the timeout and ends. A socket keeps the namespace it was made in,
// so the agent then uses the returned descriptor like any other (net.Socket).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common.h"
#include "thread_call.h"

namespace berth {
namespace {

struct Connected {
  int fd = -1;
  int err = 0;
  const char* syscall = nullptr;
};

Connected Fail(const char* syscall, int fd = -1) {
  Connected c;
  c.err = errno;
  c.syscall = syscall;
  if (fd >= 0) close(fd);
  return c;
}

Connected ConnectIn(const std::string& netns, const std::string& host, int port, int timeoutMs) {
  int nsfd = open(netns.c_str(), O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) return Fail("open");
  int joined = setns(nsfd, CLONE_NEWNET);
  close(nsfd);
  if (joined != 0) return Fail("setns");
  sockaddr_storage addr;
  memset(&addr, 0, sizeof addr);
  socklen_t len;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof *v6;
  } else {
    errno = EINVAL;
    return Fail("inet_pton");
  }
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail("socket");
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    if (errno != EINPROGRESS) return Fail("connect", fd);
    pollfd p = {fd, POLLOUT, 0};
    int r;
    do r = poll(&p, 1, timeoutMs);
    while (r < 0 && errno == EINTR);
    if (r == 0) errno = ETIMEDOUT;
    if (r <= 0) return Fail("connect", fd);
    int soerr = 0;
    socklen_t l = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &l) != 0) return Fail("getsockopt", fd);
    if (soerr != 0) {
      errno = soerr;
      return Fail("connect", fd);
    }
  }
  Connected c;
  c.fd = fd;
  return c;
}

// netnsConnect(netnsPath, host, port, timeoutMs) -> Promise<number>: a connected, non-blocking
// TCP socket made inside the namespace bound on netnsPath; rejects with an errno error
// (ECONNREFUSED, ETIMEDOUT… with syscall connect) naming host:port.
Napi::Value NetnsConnectJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns, host;
  int64_t port = 0, timeoutMs = 0;
  if (!ArgPath(info, 0, "netnsPath", &netns) || !ArgPath(info, 1, "host", &host) || !ArgInt(info, 2, "port", &port) ||
      !ArgInt(info, 3, "timeoutMs", &timeoutMs))
    return env.Undefined();
  if (port < 1 || port > 65535) return ThrowType(env, "'port' must be between 1 and 65535");
  std::string target = host + ":" + std::to_string(port);
  return RunOnThread<Connected>(
      env, "berth.netnsConnect", [netns, host, port, timeoutMs]() { return ConnectIn(netns, host, (int)port, (int)timeoutMs); },
      [target](Napi::Env env, Napi::Promise::Deferred& deferred, Connected& c) {
        if (c.err != 0) deferred.Reject(ErrnoError(env, c.err, c.syscall, target).Value());
        else deferred.Resolve(Napi::Number::New(env, c.fd));
      });
}

}  // namespace

void InitNetnsConnect(Napi::Env env, Napi::Object exports) {
  exports.Set("netnsConnect", Napi::Function::New(env, NetnsConnectJs, "netnsConnect"));
}

}  // namespace berth
