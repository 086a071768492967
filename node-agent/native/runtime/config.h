/* The subset of the OCI runtime spec (config.json) berth-runtime supports, decoded into plain C
 * structures. Unknown fields are ignored; a supported field with a wrong type or value is a
 * fatal error naming its JSON path. */
#ifndef BERTH_CONFIG_H
#define BERTH_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "json.h"

struct seccomp_program;

/* Berth's annotation asking for the rootfs to be idmapped with the container's user namespace
 * (the OCI spec has per-mount id mappings, none for root): "true" or "false". */
#define ROOTFS_IDMAP_ANNOTATION "run.berth.rootfs.idmap"

enum cap_set { CAP_BOUNDING, CAP_EFFECTIVE, CAP_PERMITTED, CAP_INHERITABLE, CAP_AMBIENT, CAP_NSETS };

struct mount_spec {
  char *destination;
  char *type;
  char *source;
  unsigned long flags;       /* MS_* set by options */
  unsigned long propagation; /* MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE (| MS_REC) or 0 */
  bool bind;                 /* bind or rbind */
  bool recursive_ro;         /* "rro": read-only all the way down (mount_setattr AT_RECURSIVE) */
  bool idmap;                /* "idmap"/"ridmap" or uidMappings: ids shifted by the container's user namespace */
  bool idmap_recursive;      /* "ridmap" (or rbind with mappings): the mounts below too */
  char *uid_map, *gid_map;   /* the mount's own uidMappings/gidMappings as "in out count\n" lines, or NULL */
  char *data;                /* filesystem-specific options joined with ',' (may be empty) */
};

struct ns_spec {
  int flag;   /* CLONE_NEW* */
  char *path; /* join this namespace instead of creating one (NULL: create) */
};

struct rlimit_spec {
  int resource;
  rlim_t soft, hard;
};

/* One linux.resources.devices rule; major/minor -1 = any. */
struct device_rule {
  bool allow;
  char type; /* 'a', 'c' or 'b' */
  int64_t major, minor;
  char access[4];
};

struct resources {
  int64_t memory_limit; /* bytes, -1 = unset */
  int64_t memory_swap;  /* memory+swap bytes, -1 = unset */
  uint64_t cpu_shares;  /* 0 = unset */
  int64_t cpu_quota;    /* microseconds, 0 = unset, -1 = unlimited */
  uint64_t cpu_period;  /* microseconds, 0 = unset */
  int64_t pids_limit;   /* 0 = unset, -1 = unlimited */
  struct device_rule *devices;
  size_t n_devices;
};

struct config {
  char *bundle; /* absolute */
  char *oci_version;
  /* process */
  char **args, **env; /* NULL-terminated */
  char *cwd;
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  size_t n_additional_gids;
  bool has_caps;
  uint64_t caps[CAP_NSETS];
  bool no_new_privileges;
  struct rlimit_spec *rlimits;
  size_t n_rlimits;
  /* root */
  char *root_path; /* absolute */
  bool root_readonly;
  bool root_idmap; /* annotation run.berth.rootfs.idmap: the rootfs seen through the container's id maps */
  char *hostname;
  struct mount_spec *mounts;
  size_t n_mounts;
  /* linux */
  struct ns_spec *namespaces;
  size_t n_namespaces;
  char *uid_map, *gid_map; /* "inside outside count\n" lines, NULL when not given */
  struct resources res;
  char *cgroups_path; /* NULL: derived from the container id */
  char **masked_paths, **readonly_paths;
  size_t n_masked, n_readonly;
  unsigned long rootfs_propagation;
  const struct json *seccomp_profile;      /* linux.seccomp or NULL; points into json */
  struct seccomp_program *seccomp;         /* compiled by config_prepare_seccomp, or NULL */
  const struct json *annotations; /* object or NULL; points into json */
  struct json *json;
};

/* Loads <bundle>/config.json; dies with a message on error. */
struct config *config_load(const char *bundle);
/* Compiles linux.seccomp (through the cache under state_root); dies on anything unsupported. */
void config_prepare_seccomp(struct config *c, const char *state_root);
const struct ns_spec *config_ns(const struct config *c, int flag);
int cap_from_name(const char *name);
void config_free(struct config *c);

#endif
