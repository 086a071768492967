{
  # Built by `npm ci` (package.json "install" runs node-gyp against the installed Node headers).
  # Two targets: the addon holds the syscalls the agent needs that Node lacks; berth-runtime is
  # the single-threaded C program that creates containers from OCI bundles (DESIGN.md section 5).
  "targets": [
    {
      "target_name": "berth_native",
      "sources": ["addon/addon.cc"],
      "include_dirs": ["<!@(node -p \"require('node-addon-api').include\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"]
    },
    {
      "target_name": "berth-runtime",
      "type": "executable",
      "sources": ["runtime/main.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-D_GNU_SOURCE"]
    }
  ]
}
