/**
 * Prints the pod start runs of one configuration: every run (never only the best), the spread of
 * the run-level figures across runs, the per-pod latencies of all runs together, where the time
 * went, and what the cluster's processes cost.
 */
import { STEPS, type PodStartRun } from './bench-pod-start.js';
import { ms, quantile, row } from './bench-pods.js';
import type { CliStartup } from './bench-cli.js';
import type { ProcessCost } from './bench-resources.js';

const q = (xs: number[], p: number) => ms(quantile(xs, p)).trim();
const max = (xs: number[]) => ms(Math.max(...xs)).trim();
const spread = (xs: number[]) => `${ms(Math.min(...xs)).trim()} / ${ms(quantile(xs, 0.5)).trim()} / ${ms(Math.max(...xs)).trim()}`;

/** The target of the user-level figure for this size (the issue sets one for 100 pods). */
function target(pods: number): string {
  return pods <= 100 ? 'target p99 < 1 s' : 'no target (100 pods: p99 < 1 s)';
}

function runLine(r: PodStartRun, i: number): string {
  const refill = r.settledInMs === undefined ? 'not refilled after 120 s' : `refilled ${(r.settledInMs / 1000).toFixed(1)} s before`;
  const pool = r.poolReady.length > 0 ? `, sandbox pools ${r.poolReady.join('/')} ready (${refill})` : '';
  return `    run ${i + 1} (load ${r.load1.toFixed(1)}${pool}): printed Running p50 ${q(r.printed, 0.5)} p99 ${q(r.printed, 0.99)} max ${max(r.printed)};  command ran p50 ${q(r.ran, 0.5)} p99 ${q(r.ran, 0.99)} max ${max(r.ran)};  apply exited ${ms(r.applyExitedMs).trim()}${r.replaced.length ? `;  ${r.replaced.length} more pods did not stay (${r.replaced.slice(0, 3).join(', ')}${r.replaced.length > 3 ? ', …' : ''})` : ''}`;
}

function costSummary(runs: PodStartRun[]): string[] {
  const names = runs[0]?.costs.map((c) => c.name) ?? [];
  const lines = names.map((name) => {
    const of = runs.map((r) => r.costs.find((c) => c.name === name)).filter((c): c is ProcessCost => c !== undefined);
    const cpu = of.map((c) => c.cpuMs / 1000);
    const peak = of.map((c) => c.peakRssKb / 1024);
    const rss = of.map((c) => c.rssKb / 1024);
    return `    ${name.padEnd(14)} CPU ${quantile(cpu, 0.5).toFixed(2)} s (runs ${Math.min(...cpu).toFixed(2)}–${Math.max(...cpu).toFixed(2)})   peak RSS ${quantile(peak, 0.5).toFixed(1)} MB (max ${Math.max(...peak).toFixed(1)})   RSS with the pods running ${quantile(rss, 0.5).toFixed(1)} MB`;
  });
  const m = runs.map((r) => r.monitors);
  const count = quantile(m.map((x) => x.count), 0.5);
  const rss = quantile(m.map((x) => x.rssKb), 0.5);
  lines.push(`    ${`monitors (${count})`.padEnd(14)} CPU ${quantile(m.map((x) => x.cpuMs / 1000), 0.5).toFixed(3)} s in total   RSS ${(rss / 1024).toFixed(1)} MB in total (${count ? (rss / count).toFixed(0) : 0} kB each)`);
  return lines;
}

/** reportPodStart prints the runs of one configuration (same pod count, same image case). */
export function reportPodStart(runs: PodStartRun[], cli: CliStartup): void {
  const first = runs[0];
  if (!first) return;
  const all = (pick: (r: PodStartRun) => number[]) => runs.flatMap(pick);
  console.log(`\npod start, ${first.pods} replicas on 3 nodes, image ${first.cached ? 'cached on every node' : 'NOT cached (a new image per run: each node pulls and unpacks it)'}, ${runs.length} runs`);
  console.log('  clock: launch of `berth apply -f FILE` → the pod printed Running (READY 1/1) by a `berth get pods -w` started before;');
  console.log('         → its command ran (the container printed its clock; read from the CRI log on the node)');
  runs.forEach((r, i) => console.log(runLine(r, i)));
  console.log('  spread of the run-level figures over the runs (min / median / max):');
  console.log(`    printed Running: p50 ${spread(runs.map((r) => quantile(r.printed, 0.5)))}   p99 ${spread(runs.map((r) => quantile(r.printed, 0.99)))}   all Running ${spread(runs.map((r) => Math.max(...r.printed)))}   (${target(first.pods)})`);
  console.log(`    command ran:     p50 ${spread(runs.map((r) => quantile(r.ran, 0.5)))}   p99 ${spread(runs.map((r) => quantile(r.ran, 0.99)))}   all ran ${spread(runs.map((r) => Math.max(...r.ran)))}`);
  console.log(`  per pod, all ${runs.length} runs together (${all((r) => r.printed).length} pods):`);
  console.log(row('apply launched → `berth get -w` printed Running', all((r) => r.printed), target(first.pods)));
  console.log(row('apply launched → command ran (container clock)', all((r) => r.ran)));
  console.log(row('apply launched → first log line (monitor stamp)', all((r) => r.logged)));
  console.log(row('apply launched → apply process exited (per run)', runs.map((r) => r.applyExitedMs)));
  console.log(row('Deployment stored → Running (API watches, no CLI)', all((r) => r.storedToRunning)));
  if (!first.cached) console.log(row('image pull as each pod waited for it (Pulled event)', all((r) => r.pullMs)));
  console.log('  where the time goes, all runs (each step from the end of the one before; "bound" = the scheduler\'s PodScheduled');
  console.log('  time; node-side times = the agent\'s and berth-runtime\'s records on the node\'s disk; "seen"/"Running in a watch" =');
  console.log('  arrival at the bench\'s ClusterAPI watch, which lags under load (a negative figure is that lag); both "started →"');
  console.log('  steps begin at the container start; "·" lines split the first step):');
  STEPS.forEach((label, i) => console.log(row(label, all((r) => r.steps[i] ?? [])).replace(/^ {2}/, '    ')));
  console.log(`    (the first step includes the CLI's start-up: \`node -e 0\` takes ${ms(cli.node).trim()} and \`berth --help\` ${ms(cli.help).trim()} on this machine now)`);
  console.log('  cost over apply → all printed Running (median of the runs; agents count the berth-runtime commands they waited for):');
  for (const line of costSummary(runs)) console.log(line);
}
