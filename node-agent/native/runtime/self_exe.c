#include "self_exe.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

void self_exe_ensure_sealed(char **argv) {
  int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0) die_errno("open /proc/self/exe");
  /* A regular file has no seals (EINVAL): only the copy made below passes. */
  int seals = fcntl(exe, F_GET_SEALS);
  if (seals >= 0 && (seals & SEALS) == SEALS) {
    close(exe);
    return;
  }
  struct stat st;
  if (fstat(exe, &st) < 0) die_errno("stat /proc/self/exe");
  int mfd = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) die_errno("memfd_create for a sealed copy of berth-runtime");
  for (off_t left = st.st_size; left > 0;) {
    ssize_t n = sendfile(mfd, exe, NULL, (size_t)left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die_errno("copy berth-runtime into a memfd");
    left -= n;
  }
  close(exe);
  if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0) die_errno("seal the copy of berth-runtime");
  fexecve(mfd, argv, environ);
  die_errno("re-execute berth-runtime from its sealed copy");
}
