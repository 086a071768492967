{
  # Built by `npm ci` (package.json "install" runs node-gyp against the installed Node headers).
  # Two targets: the addon holds the syscalls the agent needs that Node lacks; berth-runtime is
  # the single-threaded C program that creates containers from OCI bundles.
  "targets": [
    {
      "target_name": "berth_native",
      "sources": ["addon/addon.cc", "addon/common.cc", "addon/fs_at.cc", "addon/resolve.cc",
                  "addon/mount.cc", "addon/xattr.cc",
                  "addon/spawn.cc", "addon/attached.cc", "addon/netns.cc", "addon/netns_connect.cc", "addon/inode_flags.cc"],
      "include_dirs": ["<!@(node -p \"require('node-addon-api').include\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-D_GNU_SOURCE"]
    },
    {
      "target_name": "berth-runtime",
      "type": "executable",
      "sources": [
        "runtime/cli.c", "runtime/create.c", "runtime/commands.c",
        "runtime/json.c", "runtime/config.c", "runtime/config_linux.c", "runtime/state.c",
        "runtime/spawn.c", "runtime/init.c", "runtime/namespaces.c",
        "runtime/rootfs.c", "runtime/idmap.c", "runtime/overlay_idmap.c", "runtime/pathres.c", "runtime/cgroups.c",
        "runtime/devices_bpf.c", "runtime/security.c", "runtime/monitor.c", "runtime/util.c",
        "runtime/exec.c", "runtime/exec_child.c", "runtime/exec_relay.c",
        "runtime/seccomp.c", "runtime/seccomp_bpf.c", "runtime/seccomp_cache.c", "runtime/self_exe.c"
      ],
      # Static: no dynamic loader at every container start, and a monitor whose resident set
      # is a few hundred KiB instead of a mapped shared libc.
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-D_GNU_SOURCE", "-fno-strict-aliasing"],
      "ldflags": ["-static"],
      "libraries": ["-lm"]
    }
  ]
}
