/* Protection of berth-runtime's own binary against CVE-2019-5736: a process inside a container
 * that can reach /proc/<pid>/exe of a berth-runtime process there (or make it execute
 * /proc/self/exe through a #! line) could otherwise write the host's binary. */
#ifndef BERTH_SELF_EXE_H
#define BERTH_SELF_EXE_H

/* Unless already running from one, copies the binary into a sealed memfd (no write, grow or
 * shrink, seals sealed) and re-executes it from there with the same arguments and
 * environment; returns only when already running from the sealed copy. */
void self_exe_ensure_sealed(char **argv);

#endif
