// spawnAttached / waitChild: start a program whose stdio stays connected to the agent while it
// runs (berth-runtime exec), where runCommand (spawn.cc) only hands over its output at the end.
//
// Like runCommand it never forks the agent: posix_spawn (clone(CLONE_VM|CLONE_VFORK) in glibc)
// returns as soon as the child has exec'd, so it runs on the JS thread. The child's stdin,
// stdout, stderr and fd 3 are one end of a socketpair each (as libuv gives child processes), so
// the agent wraps its ends in net.Socket and a shutdown of stdin reaches the child as EOF.
// waitChild reaps the pid with waitpid on a thread of its own; libuv reaps only the pids it
// started, so the two never race.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "common.h"
#include "thread_call.h"

namespace berth {
namespace {


void CloseAll(std::vector<int>* fds) {
  for (int fd : *fds)
    if (fd >= 0) close(fd);
  fds->clear();
}

// spawnAttached(file, argv, env, { stdin?: boolean })
//   -> { pid, stdin: number | null, stdout, stderr, control }: the agent's ends of the sockets
//      (non-blocking, close-on-exec). Without stdin the child reads /dev/null.
// Throws an errno error (syscall socketpair or posix_spawn) when nothing could be started.
Napi::Value SpawnAttachedJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string file;
  std::vector<std::string> args, envs;
  if (!ArgPath(info, 0, "file", &file) || !ArgStrings(env, info[1], "argv", &args) ||
      !ArgStrings(env, info[2], "env", &envs))
    return env.Undefined();
  bool withStdin = info.Length() > 3 && info[3].IsObject() && info[3].As<Napi::Object>().Get("stdin").ToBoolean().Value();
  if (args.empty()) args.push_back(file);

  // Slot i becomes the child's fd i: stdin, stdout, stderr, control.
  int ours[4] = {-1, -1, -1, -1}, theirs[4] = {-1, -1, -1, -1};
  std::vector<int> opened;
  for (int i = 0; i < 4; i++) {
    if (i == 0 && !withStdin) continue;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      int err = errno;
      CloseAll(&opened);
      ErrnoError(env, err, "socketpair").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    ours[i] = sv[0];
    theirs[i] = sv[1];
    opened.push_back(sv[0]);
    opened.push_back(sv[1]);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (theirs[0] >= 0) posix_spawn_file_actions_adddup2(&actions, theirs[0], 0);
  else posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  for (int i = 1; i < 4; i++) posix_spawn_file_actions_adddup2(&actions, theirs[i], i);
  posix_spawn_file_actions_addclosefrom_np(&actions, 4);
  posix_spawnattr_t attr;
  InitCleanSpawnAttr(&attr);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : envs) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, file.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  for (int fd : theirs)
    if (fd >= 0) close(fd);
  if (rc != 0) {
    for (int fd : ours)
      if (fd >= 0) close(fd);
    ErrnoError(env, rc, "posix_spawn", file).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("pid", Napi::Number::New(env, pid));
  o.Set("stdin", ours[0] >= 0 ? Napi::Value(Napi::Number::New(env, ours[0])) : env.Null());
  o.Set("stdout", Napi::Number::New(env, ours[1]));
  o.Set("stderr", Napi::Number::New(env, ours[2]));
  o.Set("control", Napi::Number::New(env, ours[3]));
  return o;
}

// waitChild(pid) -> Promise<{ exitCode: number | null, signal: number | null }>, once the child
// started by spawnAttached has ended (reaped on a thread of its own).
Napi::Value WaitChildJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    ThrowType(env, "'pid' must be a number");
    return env.Undefined();
  }
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  struct Waited {
    int status = 0;
    int err = 0;
  };
  return RunOnThread<Waited>(
      env, "berth.waitChild",
      [pid]() {
        Waited w;
        while (waitpid(pid, &w.status, 0) < 0) {
          if (errno == EINTR) continue;
          w.err = errno;
          break;
        }
        return w;
      },
      [](Napi::Env env, Napi::Promise::Deferred& deferred, Waited& w) {
        if (w.err != 0) {
          deferred.Reject(ErrnoError(env, w.err, "waitpid").Value());
          return;
        }
        Napi::Object o = Napi::Object::New(env);
        o.Set("exitCode", WIFEXITED(w.status) ? Napi::Number::New(env, WEXITSTATUS(w.status)) : env.Null());
        o.Set("signal", WIFSIGNALED(w.status) ? Napi::Number::New(env, WTERMSIG(w.status)) : env.Null());
        deferred.Resolve(o);
      });
}

}  // namespace

void InitAttached(Napi::Env env, Napi::Object exports) {
  exports.Set("spawnAttached", Napi::Function::New(env, SpawnAttachedJs, "spawnAttached"));
  exports.Set("waitChild", Napi::Function::New(env, WaitChildJs, "waitChild"));
}

}  // namespace berth
