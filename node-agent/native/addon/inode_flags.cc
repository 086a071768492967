// Inode flags (the ones chattr sets), for the one the agent uses: FS_TOPDIR_FL.
//
// ext4's Orlov allocator puts a new directory in its parent's block group unless the parent is
// marked as the top of a hierarchy. All container directories in one group meant all their
// files too, and overlayfs frees a few temporary inodes at every mount; without a journal,
// ext4 then skips each inode freed in the last 30 s one by one on every allocation in that
// group, so creating a container's files grew slower with each container (a third of all CPU
// of a 100-pod start on the development machine). With FS_TOPDIR_FL on the parent, each
// container directory goes to a group of its own choosing, spread like /home's.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common.h"

namespace berth {
namespace {

// markTopDir(path) -> boolean: sets FS_TOPDIR_FL on the directory; false when its filesystem
// has no such flag (ENOTTY, EOPNOTSUPP, EINVAL: tmpfs, xfs, ...). Other errors throw.
Napi::Value MarkTopDir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ArgPath(info, 0, "path", &path)) return env.Undefined();
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ThrowErrno(env, errno, "open", path);
  int flags = 0;
  int rc = ioctl(fd, FS_IOC_GETFLAGS, &flags);
  if (rc == 0 && !(flags & FS_TOPDIR_FL)) {
    flags |= FS_TOPDIR_FL;
    rc = ioctl(fd, FS_IOC_SETFLAGS, &flags);
  }
  int err = errno;
  close(fd);
  if (rc == 0) return Napi::Boolean::New(env, true);
  if (err == ENOTTY || err == EOPNOTSUPP || err == EINVAL) return Napi::Boolean::New(env, false);
  return ThrowErrno(env, err, "ioctl(FS_IOC_SETFLAGS)", path);
}

}  // namespace

void InitInodeFlags(Napi::Env env, Napi::Object exports) {
  exports.Set("markTopDir", Napi::Function::New(env, MarkTopDir, "markTopDir"));
}

}  // namespace berth
