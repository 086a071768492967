/* Process hardening applied in the container init just before exec: rlimits, user and groups,
 * capability sets (bounding, then permitted/effective/inheritable, then ambient),
 * no_new_privs, closing every inherited descriptor, and the seccomp filter. */
#ifndef BERTH_SECURITY_H
#define BERTH_SECURITY_H

#include "config.h"

/* Rlimits while still privileged (raising a hard limit needs CAP_SYS_RESOURCE). */
void security_apply_rlimits(const struct config *c);
/* Drops the bounding set, switches to the configured user keeping the permitted set, then sets
 * the capability sets and no_new_privs. */
void security_apply_identity(const struct config *c);
/* Closes every fd >= 3 except keep1 and keep2 (-1: none). */
void security_close_fds(int keep1, int keep2);

/* Installs c's seccomp filter, if any, at the point the process has reached: before the
 * identity change when no_new_privs is off (only root may install a filter without it), at the
 * end otherwise, so as few of the runtime's own system calls as possible pass through it. */
enum seccomp_point { SECCOMP_BEFORE_IDENTITY, SECCOMP_LAST };
void security_apply_seccomp(const struct config *c, enum seccomp_point at);

#endif
