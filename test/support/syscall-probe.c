/* Tries the system calls a seccomp test cares about and prints "name errno" for each (0 when
 * it succeeded), so a test can tell a filter's EPERM from the kernel's own answer. Built by
 * the tests with `cc -static` and copied into a busybox root filesystem. The mount target
 * /probe-mnt exists only in that root filesystem: run by mistake on a host, it changes nothing. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static void report(const char *name, long r) { printf("%s %d\n", name, r < 0 ? errno : 0); }

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *w = argv[i];
    errno = 0;
    if (!strcmp(w, "mount")) report(w, mount("none", "/probe-mnt", "tmpfs", 0, NULL));
    else if (!strcmp(w, "unshare")) report(w, unshare(CLONE_NEWUSER));
    /* KEYCTL_GET_KEYRING_ID of the session keyring, creating it: any process may. */
    else if (!strcmp(w, "keyctl")) report(w, syscall(SYS_keyctl, 0, -3, 1));
    /* An unknown command: the kernel says EINVAL, a filter EPERM. */
    else if (!strcmp(w, "bpf")) report(w, syscall(SYS_bpf, 9999, NULL, 0));
    else if (!strcmp(w, "personality-query")) report(w, personality(0xffffffff));
    else if (!strcmp(w, "personality-bsd")) report(w, personality(0x0006));
    else if (!strcmp(w, "socket-inet")) report(w, socket(AF_INET, SOCK_STREAM, 0));
    else if (!strcmp(w, "socket-vsock")) report(w, socket(40, SOCK_STREAM, 0));
    else if (!strcmp(w, "fork")) {
      pid_t p = fork();
      if (p == 0) _exit(0);
      report(w, p);
    } else {
      fprintf(stderr, "unknown probe %s\n", w);
      return 2;
    }
  }
  return 0;
}
