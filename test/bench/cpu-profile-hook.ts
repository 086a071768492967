/**
 * A CPU profiler for the cluster's own processes, preloaded into every Node process the bench
 * starts:
 *
 *   NODE_OPTIONS=--import=$PWD/dist/test/bench/cpu-profile-hook.js \
 *     node dist/test/bench/cluster.bench.js --profile
 *
 * In agents and the control plane it does nothing until SIGUSR2; the first SIGUSR2 starts the
 * V8 sampling profiler, the second writes $BERTH_PROFILE_DIR (default /tmp/berth-profiles)/
 * <agent|control-plane>-<pid>.cpuprofile, which Chrome DevTools and speedscope open. With
 * --profile the bench sends them around phase (1), so the profile holds pod start only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const entry = process.argv[1] ?? '';
const role = /node-agent\/main\.js$/.test(entry) ? 'agent' : /control-plane\/main\.js$/.test(entry) ? 'control-plane' : undefined;

if (role !== undefined) {
  const dir = process.env.BERTH_PROFILE_DIR ?? '/tmp/berth-profiles';
  let session: Session | undefined;
  process.on('SIGUSR2', () => {
    if (session === undefined) {
      session = new Session();
      session.connect();
      session.post('Profiler.enable');
      session.post('Profiler.setSamplingInterval', { interval: 250 });
      session.post('Profiler.start');
      return;
    }
    const done = session;
    session = undefined;
    done.post('Profiler.stop', (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${role}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
      done.disconnect();
    });
  });
}
