/**
 * The default seccomp profile: Docker's default allowlist, with its semantics. Everything not
 * listed fails with EPERM; a few system calls are allowed only with harmless arguments
 * (personality, socket, clone without namespace flags); the privileged ones (mount, unshare,
 * setns, bpf, ptrace, ...) only when the container holds the capability that governs them.
 * keyctl, add_key and request_key are never allowed: keys are not namespaced.
 *
 * The profile depends only on the capability set and the node's architecture, so each
 * distinct one is built once per agent and berth-runtime, which compiles it to BPF, finds the
 * compiled program in its cache by the profile's text from the second container on.
 */
import type { OciSeccomp, OciSyscallRule } from './oci-types.js';

/** Allowed for every container (Docker's first group). Names of other architectures are skipped by berth-runtime. */
const allowed = `accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32 clock_adjtime
clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep clock_nanosleep_time64 close
close_range connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait
epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr
flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex
futex_time64 futex_waitv futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32
getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32
getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday
getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy
io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit io_uring_enter io_uring_register
io_uring_setup ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link
linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise membarrier memfd_create
memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open
mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync
munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause pidfd_open
pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2
prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv
recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rseq
rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64
rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam
sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64
sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid
setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit set_robust_list
setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack
signalfd signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat
sync sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime
timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime
timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat utime utimensat utimensat_time64
utimes vfork vmsplice wait4 waitid waitpid write writev process_vm_readv process_vm_writev ptrace`.split(/\s+/);

/** The namespace flags clone may not carry without CAP_SYS_ADMIN (CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET). */
const CLONE_NAMESPACE_FLAGS = 0x7e020000;
/** AF_VSOCK: sockets to the hypervisor. */
const AF_VSOCK = 40;

/** A rule kept when the container holds every capability of `caps` and none of `unlessCaps`. */
interface ProfileRule extends OciSyscallRule {
  caps?: string[];
  unlessCaps?: string[];
  /** Node.js process.arch values; absent: every architecture. */
  arches?: string[];
}

const rules: ProfileRule[] = [
  { names: allowed, action: 'SCMP_ACT_ALLOW' },
  { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] },
  // PER_LINUX, UNAME26, PER_LINUX32, PER_LINUX32|UNAME26 and the query value.
  ...[0x0, 0x0008, 0x20000, 0x20008, 0xffffffff].map((value): ProfileRule => ({
    names: ['personality'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }],
  })),
  { names: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'], action: 'SCMP_ACT_ALLOW', arches: ['arm', 'arm64'] },
  { names: ['arch_prctl', 'modify_ldt'], action: 'SCMP_ACT_ALLOW', arches: ['x64'] },
  { names: ['open_by_handle_at'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_DAC_READ_SEARCH'] },
  {
    names: ['bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie', 'mount', 'mount_setattr',
      'move_mount', 'open_tree', 'perf_event_open', 'quotactl', 'quotactl_fd', 'setdomainname', 'sethostname', 'setns', 'syslog', 'umount',
      'umount2', 'unshare'],
    action: 'SCMP_ACT_ALLOW',
    caps: ['CAP_SYS_ADMIN'],
  },
  { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }], unlessCaps: ['CAP_SYS_ADMIN'] },
  // ENOSYS, not EPERM: glibc then falls back to clone, whose flags the rule above can inspect.
  { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, unlessCaps: ['CAP_SYS_ADMIN'] },
  { names: ['reboot'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_BOOT'] },
  { names: ['chroot'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_CHROOT'] },
  { names: ['delete_module', 'init_module', 'finit_module'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_MODULE'] },
  { names: ['acct'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_PACCT'] },
  { names: ['kcmp', 'pidfd_getfd', 'process_madvise'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_PTRACE'] },
  { names: ['iopl', 'ioperm'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_RAWIO'] },
  { names: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_TIME'] },
  { names: ['vhangup'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_TTY_CONFIG'] },
  { names: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_NICE'] },
  { names: ['syslog'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYSLOG'] },
  { names: ['bpf'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_BPF'] },
  { names: ['perf_event_open'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_PERFMON'] },
];

const scmpArch: Record<string, string> = { x64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64' };

const built = new Map<string, OciSeccomp>();

/**
 * The default profile for a container with these capabilities (its bounding set) on this
 * node's architecture. The same object for the same set: callers must not change it.
 */
export function defaultSeccompProfile(capabilities: readonly string[], arch: string = process.arch): OciSeccomp {
  const key = `${arch} ${[...capabilities].sort().join(',')}`;
  const cached = built.get(key);
  if (cached) return cached;
  const native = scmpArch[arch];
  if (!native) throw new Error(`seccomp: no default profile for architecture ${arch}`);
  const held = new Set(capabilities);
  const syscalls = rules
    .filter((r) => (r.caps ?? []).every((c) => held.has(c)) && !(r.unlessCaps ?? []).some((c) => held.has(c)))
    .filter((r) => r.arches === undefined || r.arches.includes(arch))
    .map(({ names, action, errnoRet, args }): OciSyscallRule => ({ names: [...names], action, ...(errnoRet !== undefined ? { errnoRet } : {}), ...(args ? { args } : {}) }));
  const profile: OciSeccomp = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: [native], syscalls };
  built.set(key, profile);
  return profile;
}
