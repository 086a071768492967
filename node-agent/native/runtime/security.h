/* Process hardening applied in the container init just before exec: rlimits, user and groups,
 * capability sets (bounding, then permitted/effective/inheritable, then ambient),
 * no_new_privs, and closing every inherited descriptor. */
#ifndef BERTH_SECURITY_H
#define BERTH_SECURITY_H

#include "config.h"

/* Rlimits while still privileged (raising a hard limit needs CAP_SYS_RESOURCE). */
void security_apply_rlimits(const struct config *c);
/* Drops the bounding set, switches to the configured user keeping the permitted set, then sets
 * the capability sets and no_new_privs. */
void security_apply_identity(const struct config *c);
/* Marks every fd >= 3 except keep close-on-exec, so a failed exec can still report. */
void security_cloexec_fds(int keep);

#endif
