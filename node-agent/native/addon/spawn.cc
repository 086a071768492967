// runCommand: run a program to completion and capture its output, off the JS thread.
//
// Why not child_process: libuv starts children with fork(), which copies the page tables of
// the whole agent on its one JS thread (about 3 ms at 150 MB resident, growing with it), and
// the agent runs a command or two per pod. posix_spawn in glibc is clone(CLONE_VM|CLONE_VFORK):
// no copy, and here it runs on a thread of its own that also reads the output and reaps the
// child with waitpid(pid). libuv reaps only the pids it started, so the two never race.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "common.h"
#include "thread_call.h"

namespace berth {
namespace {

struct CommandRequest {
  std::string file;
  std::vector<std::string> args;  // argv, args[0] included
  std::vector<std::string> env;   // "NAME=value"
  std::string cwd;                // empty: the agent's
  std::string input;              // written to stdin, then closed
  int64_t timeoutMs = 0;          // 0: none
  size_t maxOutput = 16 << 20;    // per stream; more is an error (the command is killed)
  bool idle = false;              // SCHED_IDLE: it runs only when nothing else wants the CPU
};

struct CommandResult {
  int spawnErrno = 0;  // posix_spawn or pipe failed: nothing ran
  const char* failedCall = nullptr;
  int status = 0;  // waitpid status
  bool timedOut = false;
  bool overflowed = false;
  std::string out, err;
};

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// Pumps stdin, stdout and stderr until both outputs reach EOF, the deadline passes or an output
// grows past its limit; in the last two cases the command is killed and the pump stops.
void Pump(pid_t pid, const CommandRequest& req, int inFd, int outFd, int errFd, CommandResult* res) {
  size_t inOff = 0;
  int64_t deadline = req.timeoutMs > 0 ? NowMs() + req.timeoutMs : 0;
  char buf[65536];
  while (outFd >= 0 || errFd >= 0) {
    struct pollfd fds[3] = {{outFd, POLLIN, 0}, {errFd, POLLIN, 0}, {inFd, POLLOUT, 0}};
    int wait = -1;
    if (deadline) {
      int64_t left = deadline - NowMs();
      if (left <= 0) {
        res->timedOut = true;
        kill(pid, SIGKILL);
        break;
      }
      wait = (int)left;
    }
    if (poll(fds, 3, wait) < 0) {
      if (errno == EINTR) continue;
      kill(pid, SIGKILL);
      break;
    }
    if (inFd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(inFd, req.input.data() + inOff, req.input.size() - inOff);
      if (n > 0) inOff += (size_t)n;
      if (n < 0 && errno != EAGAIN && errno != EINTR) inOff = req.input.size();  // EPIPE: it stopped reading
      if (inOff == req.input.size()) CloseFd(&inFd);
    }
    int* outs[2] = {&outFd, &errFd};
    std::string* sinks[2] = {&res->out, &res->err};
    for (int i = 0; i < 2; i++) {
      if (*outs[i] < 0 || !(fds[i].revents & (POLLIN | POLLERR | POLLHUP))) continue;
      ssize_t n = read(*outs[i], buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, (size_t)n);
        if (sinks[i]->size() > req.maxOutput) res->overflowed = true;
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        CloseFd(outs[i]);
      }
    }
    if (res->overflowed) {
      kill(pid, SIGKILL);
      break;
    }
  }
  CloseFd(&inFd);
  CloseFd(&outFd);
  CloseFd(&errFd);
}

CommandResult RunCommand(const CommandRequest& req) {
  CommandResult res;
  // glibc's posix_spawnattr_setschedpolicy takes only FIFO, RR and OTHER; but a child inherits
  // the policy of the thread that spawns it, and this thread is the command's own (it ends
  // with it), so the command and everything it starts are SCHED_IDLE from their first step.
  struct sched_param noPriority = {};
  if (req.idle && sched_setscheduler(0, SCHED_IDLE, &noPriority) != 0) {
    res.spawnErrno = errno;
    res.failedCall = "sched_setscheduler";
    return res;
  }
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  bool withInput = !req.input.empty();
  if ((withInput && pipe2(in, O_CLOEXEC) != 0) || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    res.spawnErrno = errno;
    res.failedCall = "pipe2";
    for (int* fd : {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1]}) CloseFd(fd);
    return res;
  }
  // Our ends never block the pump: it polls them.
  for (int fd : {in[1], out[0], err[0]})
    if (fd >= 0) fcntl(fd, F_SETFL, O_NONBLOCK);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (withInput) posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  else posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  // Nothing of the agent's leaks into the command, also an fd someone opened without O_CLOEXEC.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!req.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, req.cwd.c_str());

  posix_spawnattr_t attr;
  InitCleanSpawnAttr(&attr);
  std::vector<char*> argv, envp;
  for (const auto& a : req.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : req.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid;
  // A bare name is looked up in PATH, as execFile does; a path is used as it is.
  int rc = req.file.find('/') == std::string::npos
               ? posix_spawnp(&pid, req.file.c_str(), &actions, &attr, argv.data(), envp.data())
               : posix_spawn(&pid, req.file.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  CloseFd(&in[0]);
  CloseFd(&out[1]);
  CloseFd(&err[1]);
  if (rc != 0) {
    res.spawnErrno = rc;
    res.failedCall = "posix_spawn";
    for (int* fd : {&in[1], &out[0], &err[0]}) CloseFd(fd);
    return res;
  }
  Pump(pid, req, in[1], out[0], err[0], &res);
  while (waitpid(pid, &res.status, 0) < 0 && errno == EINTR) {
  }
  return res;
}


// runCommand(file, argv, env, { cwd?, input?, timeoutMs?, maxOutput?, idle? })
//   -> Promise<{ exitCode: number | null, signal: number | null, stdout, stderr, timedOut, overflowed }>
// Rejects only when the command could not be started (errno error, syscall 'posix_spawn').
Napi::Value RunCommandJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CommandRequest req;
  if (!ArgPath(info, 0, "file", &req.file) || !ArgStrings(env, info[1], "argv", &req.args) ||
      !ArgStrings(env, info[2], "env", &req.env))
    return env.Undefined();
  if (info.Length() > 3 && info[3].IsObject()) {
    auto o = info[3].As<Napi::Object>();
    if (o.Get("cwd").IsString()) req.cwd = o.Get("cwd").As<Napi::String>().Utf8Value();
    if (o.Get("input").IsString()) req.input = o.Get("input").As<Napi::String>().Utf8Value();
    if (o.Get("timeoutMs").IsNumber()) req.timeoutMs = o.Get("timeoutMs").As<Napi::Number>().Int64Value();
    if (o.Get("maxOutput").IsNumber()) req.maxOutput = (size_t)o.Get("maxOutput").As<Napi::Number>().Int64Value();
    if (o.Get("idle").IsBoolean()) req.idle = o.Get("idle").As<Napi::Boolean>().Value();
  }
  if (req.args.empty()) req.args.push_back(req.file);
  std::string file = req.file;
  return RunOnThread<CommandResult>(
      env, "berth.runCommand", [req = std::move(req)]() { return RunCommand(req); },
      [file](Napi::Env env, Napi::Promise::Deferred& deferred, CommandResult& res) {
        if (res.spawnErrno != 0) {
          deferred.Reject(ErrnoError(env, res.spawnErrno, res.failedCall, file).Value());
          return;
        }
        Napi::Object o = Napi::Object::New(env);
        o.Set("exitCode", WIFEXITED(res.status) ? Napi::Number::New(env, WEXITSTATUS(res.status)) : env.Null());
        o.Set("signal", WIFSIGNALED(res.status) ? Napi::Number::New(env, WTERMSIG(res.status)) : env.Null());
        o.Set("stdout", Napi::String::New(env, res.out));
        o.Set("stderr", Napi::String::New(env, res.err));
        o.Set("timedOut", Napi::Boolean::New(env, res.timedOut));
        o.Set("overflowed", Napi::Boolean::New(env, res.overflowed));
        deferred.Resolve(o);
      });
}

}  // namespace

void InitSpawn(Napi::Env env, Napi::Object exports) {
  exports.Set("runCommand", Napi::Function::New(env, RunCommandJs, "runCommand"));
}

}  // namespace berth
