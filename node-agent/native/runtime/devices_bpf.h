/* Device access rules on cgroup v2, which has no devices controller: a small
 * BPF_PROG_TYPE_CGROUP_DEVICE program generated from the rules and attached to the container's
 * cgroup (like runc and crun do). The last matching rule decides; no match denies. */
#ifndef BERTH_DEVICES_BPF_H
#define BERTH_DEVICES_BPF_H

#include <stddef.h>

#include "config.h"

/* Loads the program for rules (the config's, then defaults: allow rules in the v1 devices.allow
 * syntax, e.g. "c 1:3 rwm") and attaches it to the cgroup directory; dies on error. */
void devices_bpf_attach(const char *cgroup_dir, const struct device_rule *rules, size_t n_rules,
                        const char *const *defaults, size_t n_defaults);

#endif
