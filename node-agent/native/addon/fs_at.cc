// The *at family, so callers can work relative to a directory fd they resolved safely
// (see resolve.cc) instead of re-walking a path that may contain attacker-made symlinks.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common.h"

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

namespace berth {
namespace {

#define DIRFD_AND_NAME(di, ni)                         \
  int64_t dirfd;                                       \
  std::string name;                                    \
  if (!ArgInt(info, di, "dirfd", &dirfd)) return env.Undefined(); \
  if (!ArgPath(info, ni, "path", &name)) return env.Undefined();

Napi::Value Mkdirat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DIRFD_AND_NAME(0, 1);
  int64_t mode;
  if (!ArgOptInt(info, 2, 0777, &mode)) return env.Undefined();
  if (mkdirat(dirfd, name.c_str(), mode) != 0) return ThrowErrno(env, errno, "mkdirat", name);
  return env.Undefined();
}

Napi::Value Openat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DIRFD_AND_NAME(0, 1);
  int64_t flags, mode;
  if (!ArgOptInt(info, 2, O_RDONLY, &flags) || !ArgOptInt(info, 3, 0666, &mode)) return env.Undefined();
  int fd = openat(dirfd, name.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return ThrowErrno(env, errno, "openat", name);
  return Napi::Number::New(env, fd);
}

Napi::Value Symlinkat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string target;
  if (!ArgPath(info, 0, "target", &target)) return env.Undefined();
  DIRFD_AND_NAME(1, 2);
  if (symlinkat(target.c_str(), dirfd, name.c_str()) != 0) return ThrowErrno(env, errno, "symlinkat", name, target);
  return env.Undefined();
}

Napi::Value Linkat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t olddirfd, newdirfd, flags;
  std::string oldname, newname;
  if (!ArgInt(info, 0, "olddirfd", &olddirfd) || !ArgPath(info, 1, "oldpath", &oldname) ||
      !ArgInt(info, 2, "newdirfd", &newdirfd) || !ArgPath(info, 3, "newpath", &newname) ||
      !ArgOptInt(info, 4, 0, &flags))
    return env.Undefined();
  if (linkat(olddirfd, oldname.c_str(), newdirfd, newname.c_str(), flags) != 0)
    return ThrowErrno(env, errno, "linkat", oldname, newname);
  return env.Undefined();
}

Napi::Value Fchownat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DIRFD_AND_NAME(0, 1);
  int64_t uid, gid, flags;
  if (!ArgInt(info, 2, "uid", &uid) || !ArgInt(info, 3, "gid", &gid) || !ArgOptInt(info, 4, 0, &flags))
    return env.Undefined();
  if (fchownat(dirfd, name.c_str(), uid, gid, flags) != 0) return ThrowErrno(env, errno, "fchownat", name);
  return env.Undefined();
}

// fchmodat with AT_SYMLINK_NOFOLLOW: fchmodat2 (Linux 6.6+) when present; otherwise the glibc
// approach (O_PATH|O_NOFOLLOW, refuse symlinks, chmod through the fd's /proc entry).
Napi::Value Fchmodat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DIRFD_AND_NAME(0, 1);
  int64_t mode, flags;
  if (!ArgInt(info, 2, "mode", &mode) || !ArgOptInt(info, 3, 0, &flags)) return env.Undefined();
  if (!(flags & AT_SYMLINK_NOFOLLOW)) {
    if (fchmodat(dirfd, name.c_str(), mode, 0) != 0) return ThrowErrno(env, errno, "fchmodat", name);
    return env.Undefined();
  }
  if (syscall(__NR_fchmodat2, (int)dirfd, name.c_str(), (mode_t)mode, (int)flags) == 0) return env.Undefined();
  if (errno != ENOSYS && errno != EINVAL) return ThrowErrno(env, errno, "fchmodat2", name);
  int fd = openat(dirfd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ThrowErrno(env, errno, "fchmodat", name);
  struct stat st;
  if (fstat(fd, &st) != 0 || S_ISLNK(st.st_mode)) {
    int err = S_ISLNK(st.st_mode) ? EOPNOTSUPP : errno;
    close(fd);
    return ThrowErrno(env, err, "fchmodat", name);
  }
  std::string proc = "/proc/self/fd/" + std::to_string(fd);
  int rc = chmod(proc.c_str(), mode);
  int err = errno;
  close(fd);
  if (rc != 0) return ThrowErrno(env, err, "fchmodat", name);
  return env.Undefined();
}

bool ReadTimes(const Napi::CallbackInfo& info, size_t i, struct timespec ts[2]) {
  int64_t v[4];
  const char* names[4] = {"atimeSec", "atimeNsec", "mtimeSec", "mtimeNsec"};
  for (int k = 0; k < 4; k++)
    if (!ArgInt(info, i + k, names[k], &v[k])) return false;
  ts[0].tv_sec = v[0];
  ts[0].tv_nsec = v[1];
  ts[1].tv_sec = v[2];
  ts[1].tv_nsec = v[3];
  return true;
}

Napi::Value Utimensat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DIRFD_AND_NAME(0, 1);
  struct timespec ts[2];
  int64_t flags;
  if (!ReadTimes(info, 2, ts) || !ArgOptInt(info, 6, 0, &flags)) return env.Undefined();
  if (utimensat(dirfd, name.c_str(), ts, flags) != 0) return ThrowErrno(env, errno, "utimensat", name);
  return env.Undefined();
}

Napi::Value Futimens(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd;
  struct timespec ts[2];
  if (!ArgInt(info, 0, "fd", &fd) || !ReadTimes(info, 1, ts)) return env.Undefined();
  if (futimens(fd, ts) != 0) return ThrowErrno(env, errno, "futimens", "fd " + std::to_string(fd));
  return env.Undefined();
}

Napi::Value Unlinkat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DIRFD_AND_NAME(0, 1);
  int64_t flags;
  if (!ArgOptInt(info, 2, 0, &flags)) return env.Undefined();
  if (unlinkat(dirfd, name.c_str(), flags) != 0) return ThrowErrno(env, errno, "unlinkat", name);
  return env.Undefined();
}

Napi::Value Mknodat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DIRFD_AND_NAME(0, 1);
  int64_t mode, major, minor;
  if (!ArgInt(info, 2, "mode", &mode) || !ArgOptInt(info, 3, 0, &major) || !ArgOptInt(info, 4, 0, &minor))
    return env.Undefined();
  if (mknodat(dirfd, name.c_str(), mode, makedev(major, minor)) != 0) return ThrowErrno(env, errno, "mknodat", name);
  return env.Undefined();
}

Napi::Value Fstatat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DIRFD_AND_NAME(0, 1);
  int64_t flags;
  if (!ArgOptInt(info, 2, 0, &flags)) return env.Undefined();
  struct stat st;
  if (fstatat(dirfd, name.c_str(), &st, flags) != 0) return ThrowErrno(env, errno, "fstatat", name);
  Napi::Object o = Napi::Object::New(env);
  o.Set("mode", Napi::Number::New(env, st.st_mode));
  o.Set("uid", Napi::Number::New(env, st.st_uid));
  o.Set("gid", Napi::Number::New(env, st.st_gid));
  o.Set("size", Napi::Number::New(env, (double)st.st_size));
  o.Set("ino", Napi::Number::New(env, (double)st.st_ino));
  o.Set("dev", Napi::Number::New(env, (double)st.st_dev));
  o.Set("nlink", Napi::Number::New(env, (double)st.st_nlink));
  o.Set("rdevMajor", Napi::Number::New(env, major(st.st_rdev)));
  o.Set("rdevMinor", Napi::Number::New(env, minor(st.st_rdev)));
  o.Set("mtimeSec", Napi::Number::New(env, (double)st.st_mtim.tv_sec));
  o.Set("mtimeNsec", Napi::Number::New(env, (double)st.st_mtim.tv_nsec));
  return o;
}

}  // namespace

void InitFsAt(Napi::Env env, Napi::Object exports) {
  exports.Set("mkdirat", Napi::Function::New(env, Mkdirat, "mkdirat"));
  exports.Set("openat", Napi::Function::New(env, Openat, "openat"));
  exports.Set("symlinkat", Napi::Function::New(env, Symlinkat, "symlinkat"));
  exports.Set("linkat", Napi::Function::New(env, Linkat, "linkat"));
  exports.Set("fchownat", Napi::Function::New(env, Fchownat, "fchownat"));
  exports.Set("fchmodat", Napi::Function::New(env, Fchmodat, "fchmodat"));
  exports.Set("utimensat", Napi::Function::New(env, Utimensat, "utimensat"));
  exports.Set("futimens", Napi::Function::New(env, Futimens, "futimens"));
  exports.Set("unlinkat", Napi::Function::New(env, Unlinkat, "unlinkat"));
  exports.Set("mknodat", Napi::Function::New(env, Mknodat, "mknodat"));
  exports.Set("fstatat", Napi::Function::New(env, Fstatat, "fstatat"));

  Napi::Object c = Napi::Object::New(env);
#define C(x) c.Set(#x, Napi::Number::New(env, x))
  C(O_RDONLY); C(O_WRONLY); C(O_CREAT); C(O_EXCL); C(O_NOFOLLOW); C(O_DIRECTORY); C(O_PATH); C(O_CLOEXEC);
  C(AT_FDCWD); C(AT_SYMLINK_NOFOLLOW);
  C(S_IFMT); C(S_IFDIR); C(S_IFCHR); C(S_IFIFO);
#undef C
  exports.Set("fsConstants", c);
}

}  // namespace berth
