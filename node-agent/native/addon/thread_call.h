// RunOnThread: the addon's way to do blocking work without holding up the agent's JS thread.
//
// `work` runs on a new thread of its own (never libuv's pool: a command that runs for seconds
// must not starve the pool's four threads that fs.promises needs), then `settle` runs on the JS
// thread and resolves or rejects the returned Promise. The thread-safe function keeps the event
// loop alive until the work is settled, as a pending child process or timer would.
#pragma once
#include <napi.h>

#include <pthread.h>

#include <functional>

#include "common.h"

namespace berth {

template <typename Result>
Napi::Promise RunOnThread(Napi::Env env, const char* name, std::function<Result()> work,
                          std::function<void(Napi::Env, Napi::Promise::Deferred&, Result&)> settle) {
  struct Job {
    Napi::Promise::Deferred deferred;
    std::function<Result()> work;
    std::function<void(Napi::Env, Napi::Promise::Deferred&, Result&)> settle;
    Result result{};
  };
  auto* job = new Job{Napi::Promise::Deferred::New(env), std::move(work), std::move(settle)};
  Napi::Promise promise = job->deferred.Promise();
  pthread_t thread;
  struct Start {
    Job* job;
    Napi::ThreadSafeFunction tsfn;
  };
  auto* start = new Start{job, Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), name, 0, 1)};
  // pthread rather than std::thread: the addon builds without C++ exceptions, and a failed
  // std::thread would terminate the agent instead of rejecting one call.
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int err = pthread_create(&thread, &attr, [](void* arg) -> void* {
    auto* s = static_cast<Start*>(arg);
    Job* job = s->job;
    Napi::ThreadSafeFunction tsfn = s->tsfn;
    delete s;
    job->result = job->work();
    napi_status queued = tsfn.BlockingCall(job, [](Napi::Env env, Napi::Function, Job* done) {
      // A null env: the environment is shutting down and nobody waits for the answer.
      if (env != nullptr) done->settle(env, done->deferred, done->result);
      delete done;
    });
    if (queued != napi_ok) delete job;  // closing: the callback will never run
    tsfn.Release();
    return nullptr;
  }, start);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    // No thread could be made (EAGAIN: too many threads): reject now, nothing ran.
    start->tsfn.Release();
    delete start;
    job->deferred.Reject(ErrnoError(env, err, "pthread_create").Value());
    delete job;
  }
  return promise;
}

}  // namespace berth
