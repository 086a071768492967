// Path resolution confined to a root directory, as if the root were "/": symlinks (absolute or
// relative) and ".." are resolved inside the root and can never leave it. openat2 with
// RESOLVE_IN_ROOT does this in the kernel; on kernels without openat2 (ENOSYS) an equivalent
// component walk opens each component with O_PATH|O_NOFOLLOW and expands symlinks itself.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <string>
#include <vector>

#include "common.h"

namespace berth {

bool g_openat2_disabled = false;

namespace {

constexpr int kMaxSymlinks = 40;  // the kernel's MAXSYMLINKS

std::deque<std::string> SplitPath(const std::string& p) {
  std::deque<std::string> out;
  size_t start = 0;
  while (start <= p.size()) {
    size_t slash = p.find('/', start);
    if (slash == std::string::npos) slash = p.size();
    if (slash > start) out.push_back(p.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

void CloseAll(std::vector<int>* stack) {
  for (int fd : *stack) close(fd);
  stack->clear();
}

// Returns an fd or -errno.
int FallbackResolve(int rootfd, const std::string& rel, int flags) {
  std::vector<int> stack;
  int root = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
  if (root < 0) return -errno;
  stack.push_back(root);
  std::deque<std::string> comps = SplitPath(rel);
  int links = 0;
  while (!comps.empty()) {
    std::string comp = comps.front();
    comps.pop_front();
    if (comp == ".") continue;
    if (comp == "..") {
      if (stack.size() > 1) {
        close(stack.back());
        stack.pop_back();
      }
      continue;
    }
    bool last = comps.empty();
    int cur = stack.back();
    int fd = openat(cur, comp.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      CloseAll(&stack);
      return -err;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
      int err = errno;
      close(fd);
      CloseAll(&stack);
      return -err;
    }
    if (S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
      char buf[4096];
      ssize_t n = readlinkat(fd, "", buf, sizeof(buf));
      int err = errno;
      close(fd);
      if (n < 0 || ++links > kMaxSymlinks) {
        CloseAll(&stack);
        return n < 0 ? -err : -ELOOP;
      }
      std::string target(buf, n);
      if (!target.empty() && target[0] == '/') {
        while (stack.size() > 1) {
          close(stack.back());
          stack.pop_back();
        }
      }
      std::deque<std::string> tcomps = SplitPath(target);
      comps.insert(comps.begin(), tcomps.begin(), tcomps.end());
      continue;
    }
    if (last) {
      close(fd);
      // Re-open with the caller's flags; O_NOFOLLOW makes a symlink swapped in meanwhile fail.
      int out = openat(cur, comp.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
      int err = errno;
      CloseAll(&stack);
      return out < 0 ? -err : out;
    }
    if (!S_ISDIR(st.st_mode)) {
      close(fd);
      CloseAll(&stack);
      return -ENOTDIR;
    }
    stack.push_back(fd);
  }
  int out = openat(stack.back(), ".", (flags & ~O_NOFOLLOW) | O_CLOEXEC);
  int err = errno;
  CloseAll(&stack);
  return out < 0 ? -err : out;
}

int ResolveInRootFd(int rootfd, const std::string& rel, int flags) {
  if (!g_openat2_disabled) {
    struct open_how how = {};
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    const char* p = rel.empty() ? "." : rel.c_str();
    for (int attempt = 0; attempt < 16; attempt++) {
      long fd = syscall(SYS_openat2, rootfd, p, &how, sizeof(how));
      if (fd >= 0) return (int)fd;
      if (errno == EAGAIN) continue;  // a concurrent rename raced the lookup; retry
      if (errno != ENOSYS) return -errno;
      break;
    }
  }
  return FallbackResolve(rootfd, rel, flags);
}

// Accepts the root as an open directory fd (number) or a host path (string).
bool OpenRoot(const Napi::CallbackInfo& info, int* rootfd, bool* owned, std::string* rootDesc) {
  *owned = false;
  if (info.Length() > 0 && info[0].IsNumber()) {
    *rootfd = info[0].As<Napi::Number>().Int32Value();
    *rootDesc = "fd " + std::to_string(*rootfd);
    return true;
  }
  if (!ArgPath(info, 0, "root", rootDesc)) return false;
  *rootfd = open(rootDesc->c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*rootfd < 0) {
    ThrowErrno(info.Env(), errno, "open", *rootDesc);
    return false;
  }
  *owned = true;
  return true;
}

// resolveInRoot(root: number | string, relPath: string, flags = O_PATH) -> fd
Napi::Value ResolveInRoot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int rootfd;
  bool owned;
  std::string rootDesc, rel;
  int64_t flags;
  if (!OpenRoot(info, &rootfd, &owned, &rootDesc)) return env.Undefined();
  if (!ArgPath(info, 1, "relPath", &rel) || !ArgOptInt(info, 2, O_PATH, &flags)) {
    if (owned) close(rootfd);
    return env.Undefined();
  }
  int fd = ResolveInRootFd(rootfd, rel, (int)flags);
  if (owned) close(rootfd);
  if (fd < 0) return ThrowErrno(env, -fd, g_openat2_disabled ? "openat" : "openat2", rel);
  return Napi::Number::New(env, fd);
}

Napi::Value SetOpenat2Disabled(const Napi::CallbackInfo& info) {
  g_openat2_disabled = info.Length() > 0 && info[0].ToBoolean().Value();
  return info.Env().Undefined();
}

}  // namespace

void InitResolve(Napi::Env env, Napi::Object exports) {
  exports.Set("resolveInRoot", Napi::Function::New(env, ResolveInRoot, "resolveInRoot"));
  exports.Set("setOpenat2Disabled", Napi::Function::New(env, SetOpenat2Disabled, "setOpenat2Disabled"));
}

}  // namespace berth
