#!/usr/bin/env node
import { Command, Option } from 'commander';
import type { MetadataEditOptions } from './commands/label.js';
import type { RolloutEdit } from './commands/rollout-edits.js';
import type { RolloutHistoryOptions, RolloutStatusOptions, RolloutUndoOptions } from './commands/rollout.js';
import type { TaintOptions } from './commands/taint.js';
import type { TokenCreateOptions } from './commands/token.js';
import type { InitOptions } from './commands/init.js';
import type { JoinOptions } from './commands/join.js';
import type { LocalClusterFlags } from './commands/up.js';
import { parseGracePeriod } from './delete-flags.js';
import { CliError } from './errors.js';
import { collect, parseBool, parseDuration, parsePort, parsePositive, parseRevision } from './flag-values.js';

// Each command's module is imported only when that command runs: loading all of them (the YAML
// parser, gRPC, printers, the local cluster) would make every command, even --help, start slower.

const program = new Command('berth')
  .description('Manage a Berth cluster (kubectl-like).')
  .option('-s, --server <host:port>', 'control plane address (else BERTH_SERVER, else ~/.berth/config)')
  .option('-n, --namespace <name>', 'namespace of the objects (default "default")')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

/** run wraps a command so every failure prints one `error:` line and exits 1, never a stack trace. */
function run<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await body(...args);
    } catch (err) {
      if (err instanceof CliError) {
        process.stderr.write(`${err.message.startsWith('Error from server') ? '' : 'error: '}${err.message}\n`);
        process.exitCode = err.exitCode;
        return;
      }
      throw err;
    }
  };
}

program
  .command('apply')
  .description('Create or update objects from manifests (files, directories, or - for stdin).')
  .option('-f, --filename <path>', 'manifest file, directory or - (repeatable)', collect, [])
  .option('--dry-run', 'validate and show what would change, write nothing')
  .option('--wait', "then wait for each applied Deployment's rollout to finish (live progress on a terminal); exit non-zero if one fails")
  .option('--timeout <duration>', 'with --wait: give up after this long, e.g. 90s or 5m (0: never)', parseDuration, 0)
  .action(run(async (opts: { filename: string[]; dryRun?: boolean; wait?: boolean; timeout: number }) => (await import('./commands/apply.js')).applyCommand({ ...program.opts(), ...opts })));

program
  .command('get')
  .description('List objects of a kind, or show some by name.')
  .argument('<kind>', 'e.g. deployments, pods, services, nodes')
  .argument('[names...]', 'object names')
  .option('-o, --output <format>', 'wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE or custom-columns=HEADER:.path,...')
  .option('-A, --all-namespaces', 'list across all namespaces')
  .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
  .option('-w, --watch', 'after listing, print changes as they happen')
  .option('--no-headers', 'no header row (tables and custom-columns)')
  .option('--show-labels', 'add a LABELS column to the table')
  .option('--allow-missing-template-keys [bool]', 'a jsonpath field that is missing prints nothing (true) or is an error (false)', parseBool, true)
  .action(run(async (kind: string, names: string[], opts: object) => (await import('./commands/get.js')).getCommand(kind, names, { ...program.opts(), ...opts })));

program
  .command('describe')
  .description('Show one object in detail, with its events.')
  .argument('<kind>', 'kind, or KIND/NAME')
  .argument('[name]')
  .action(run(async (kind: string, name: string | undefined) => (await import('./commands/describe.js')).describeCommand(kind, name, program.opts())));

program
  .command('delete')
  .description('Delete objects by KIND NAME..., KIND/NAME..., or from manifests with -f.')
  .argument('[args...]')
  .option('-f, --filename <path>', 'manifest file, directory or - (repeatable)', collect, [])
  .option('--ignore-not-found', 'treat "not found" as success')
  .option('--grace-period <seconds>', 'seconds a pod gets to stop; -1 (default): its own terminationGracePeriodSeconds; 0 only with --force', parseGracePeriod, -1)
  .option('--force', 'remove the objects at once, without waiting for their nodes to stop them (with --grace-period=0)')
  .option('--now', 'stop pods at once (the same as --grace-period=1)')
  .option('--wait [bool]', 'wait until the objects are gone before returning', parseBool, true)
  .option('--timeout <duration>', 'how long --wait waits, e.g. 90s or 5m; 0 (default): as long as it takes', parseDuration, 0)
  .action(run(async (args: string[], opts: { filename: string[]; ignoreNotFound?: boolean }) => (await import('./commands/delete.js')).deleteCommand(args, { ...program.opts(), ...opts })));

program
  .command('scale')
  .description('Set the replica count of a Deployment or ReplicaSet.')
  .argument('<target>', 'KIND/NAME or KIND')
  .argument('[name]')
  .requiredOption('--replicas <n>', 'the new replica count')
  .option('--resource-version <rv>', 'only scale if the object is still at this resourceVersion')
  .action(run(async (target: string, name: string | undefined, opts: { replicas: string; resourceVersion?: string }) => (await import('./commands/scale.js')).scaleCommand(target, name, { ...program.opts(), ...opts })));

const metadataEdit = (name: 'label' | 'annotate', what: string) =>
  program
    .command(name)
    .description(`Add, change (--overwrite) or remove (KEY-) ${what} of objects of any kind.`)
    .argument('<args...>', `TYPE NAME... or TYPE/NAME..., then KEY=VALUE... and KEY-...`)
    .option('--overwrite', `allow changing ${what} that already have a value`)
    .option('--all', 'every object of the type in the namespace')
    .option('-l, --selector <selector>', 'objects of the type matching a label selector, e.g. app=web')
    .option('-A, --all-namespaces', 'with --all or -l: across all namespaces')
    .option('--resource-version <rv>', 'only change the object if it is still at this resourceVersion (one object only)');

metadataEdit('label', 'labels').action(run(async (args: string[], opts: MetadataEditOptions) => (await import('./commands/label.js')).labelCommand(args, { ...program.opts(), ...opts })));
metadataEdit('annotate', 'annotations').action(run(async (args: string[], opts: MetadataEditOptions) => (await import('./commands/label.js')).annotateCommand(args, { ...program.opts(), ...opts })));

const rollout = program.command('rollout').description('Follow, inspect, undo, pause, resume and restart the rollout of a Deployment.');

rollout
  .command('status')
  .description("Watch a Deployment's rollout until it is done; exits non-zero if it passes its progress deadline, is rolled back, or --timeout passes.")
  .argument('<target>', 'deployment/NAME, or deployment NAME')
  .argument('[name]')
  .option('--timeout <duration>', 'give up after this long, e.g. 90s or 5m (0: never)', parseDuration, 0)
  .option('-w, --watch [bool]', 'watch until the rollout is done (false: print the status once)', parseBool, true)
  .option('--revision <n>', 'pin to this revision: fail if the Deployment moves to another (0: the latest)', parseRevision, 0)
  .action(run(async (target: string, name: string | undefined, opts: RolloutStatusOptions) => (await import('./commands/rollout.js')).rolloutStatusCommand(target, name, { ...program.opts(), ...opts })));

rollout
  .command('history')
  .description("List a Deployment's revisions with their change-cause, or show one revision's pod template.")
  .argument('<target>', 'deployment/NAME, or deployment NAME')
  .argument('[name]')
  .option('--revision <n>', "show this revision's pod template", parseRevision, 0)
  .action(run(async (target: string, name: string | undefined, opts: RolloutHistoryOptions) => (await import('./commands/rollout.js')).rolloutHistoryCommand(target, name, { ...program.opts(), ...opts })));

rollout
  .command('undo')
  .description("Roll a Deployment back to its previous revision's pod template, or to --to-revision's.")
  .argument('<target>', 'deployment/NAME, or deployment NAME')
  .argument('[name]')
  .option('--to-revision <n>', 'the revision to go back to (0: the previous one)', parseRevision, 0)
  .action(run(async (target: string, name: string | undefined, opts: RolloutUndoOptions) => (await import('./commands/rollout.js')).rolloutUndoCommand(target, name, { ...program.opts(), ...opts })));

const rolloutEdits: [RolloutEdit, string][] = [
  ['pause', 'Pause a Deployment: template changes start no rollout until it is resumed.'],
  ['resume', 'Resume a paused Deployment: its rollout continues.'],
  ['restart', 'Restart every pod of a Deployment by a rollout (sets the restartedAt template annotation).'],
];
for (const [verb, description] of rolloutEdits) {
  rollout
    .command(verb)
    .description(description)
    .argument('<targets...>', 'deployment/NAME..., or deployment NAME...')
    .action(run(async (targets: string[]) => (await import('./commands/rollout-edits.js')).rolloutEditCommand(verb, targets, program.opts())));
}

program
  .command('set')
  .description('Change a field of objects.')
  .command('image')
  .description("Set container images in a Deployment's or ReplicaSet's pod template (CONTAINER=IMAGE, or *=IMAGE for every container).")
  .usage('KIND/NAME... CONTAINER=IMAGE... | *=IMAGE')
  .argument('<args...>', 'deployment/NAME... (or deployment NAME...), then CONTAINER=IMAGE...')
  .action(run(async (args: string[]) => (await import('./commands/rollout-edits.js')).setImageCommand(args, program.opts())));

program
  .command('taint')
  .description('Add (KEY[=VALUE]:EFFECT) or remove (KEY:EFFECT-, KEY-) taints of nodes; EFFECT is NoSchedule, PreferNoSchedule or NoExecute.')
  .argument('<args...>', 'node NAME... or node/NAME..., then the taint changes')
  .option('--overwrite', 'allow replacing a taint with the same key and effect')
  .option('--all', 'every node')
  .option('-l, --selector <selector>', 'nodes matching a label selector')
  .action(run(async (args: string[], opts: TaintOptions) => (await import('./commands/taint.js')).taintCommand(args, { ...program.opts(), ...opts })));

program
  .command('logs')
  .description("Print a container's log.")
  .argument('<pod>', 'pod name (or pod/NAME)')
  .option('-c, --container <name>', 'container name (default: the only one)')
  .option('-f, --follow', 'keep printing as the container writes')
  .option('--tail <lines>', 'only the last lines')
  .option('-p, --previous', 'the previous instance of a restarted container')
  .action(run(async (pod: string, opts: object) => (await import('./commands/logs.js')).logsCommand(pod, { ...program.opts(), ...opts })));

program
  .command('exec')
  .description("Run a command in a pod's container; exits with the command's exit code.")
  .usage('POD [-c CONTAINER] [-i] [-t] -- COMMAND [ARG...]')
  .argument('<pod>', 'pod name (or pod/NAME)')
  .argument('[command...]', 'the command and its arguments, after --')
  .option('-c, --container <name>', 'container name (default: the only one)')
  .option('-i, --stdin', 'pass stdin to the command')
  .option('-t, --tty', 'give the command a terminal (with -i: an interactive shell, e.g. -it -- sh)')
  .action(run(async (pod: string, command: string[], opts: object) => (await import('./commands/exec.js')).execCommand(pod, command, { ...program.opts(), ...opts })));

program
  .command('cordon')
  .description('Mark a node unschedulable.')
  .argument('<node>')
  .action(run(async (node: string) => (await import('./commands/nodes.js')).cordonCommand(node, true, program.opts())));

program
  .command('uncordon')
  .description('Mark a node schedulable again.')
  .argument('<node>')
  .action(run(async (node: string) => (await import('./commands/nodes.js')).cordonCommand(node, false, program.opts())));

program
  .command('drain')
  .description('Cordon a node and evict its pods so they are replaced elsewhere.')
  .argument('<node>')
  .action(run(async (node: string) => (await import('./commands/nodes.js')).drainCommand(node, program.opts())));

const startOption = () => new Option('--start <how>', 'start what was set up: auto (systemd if it runs here and has the unit, else a detached process), systemd, process or none (print the command)').choices(['auto', 'systemd', 'process', 'none']).default('auto');

program
  .command('init')
  .description('Make a new cluster on this machine (kubeadm init): CA and certificates, control plane, an agent, a first bootstrap token; prints the join command.')
  .option('--dir <dir>', 'configuration: credentials and the systemd units\' environment files', '/etc/berth')
  .option('--state-dir <dir>', 'state: the control plane\'s etcd data, the agent\'s root, logs', '/var/lib/berth')
  .option('--advertise-address <ip>', 'the address the control plane listens on and other machines reach it at (default: that of the default route)')
  .option('--port <port>', 'the control plane\'s port (ClusterAPI, NodeAPI); the join endpoint is the next one', parsePort, 6443)
  .option('--cert-sans <names>', 'more DNS names or IPs for the control plane\'s certificate, comma-separated', (v: string) => v.split(',').map((s) => s.trim()).filter((s) => s !== ''), [] as string[])
  .option('--node-name <name>', 'this machine\'s node name (default: the host name)')
  .option('--no-agent', 'run the control plane only: this machine is not a node')
  .option('--admin-name <name>', 'the name in the admin\'s client certificate', 'berth-admin')
  .option('--token-ttl <duration>', 'lifetime of the first bootstrap token (0: never expires)', parseDuration, 24 * 3_600_000)
  .option('--node-certificate-validity <duration>', 'how long node certificates are valid (agents renew them at two thirds)', parseDuration, 365 * 86_400_000)
  .option('--control-plane-arg <flag>', 'a further berth-control-plane flag, as --name=value (repeatable)', collect, [])
  .option('--agent-arg <flag>', 'a further berth-agent flag, as --name=value (repeatable)', collect, [])
  .option('--timeout <duration>', 'how long to wait for the control plane and the node', parseDuration, 120_000)
  .option('--force', 'replace the files of an earlier berth init')
  .addOption(startOption())
  .action(run(async (opts: InitOptions) => (await import('./commands/init.js')).initCommand(opts)));

program
  .command('join')
  .description('Add this machine to a cluster as a node (kubeadm join), with the line berth init or berth token create --print-join-command printed.')
  .argument('<server>', 'the control plane\'s join endpoint, host:port')
  .requiredOption('--token <token>', 'a bootstrap token, <id>.<secret>')
  .requiredOption('--discovery-token-ca-cert-hash <sha256:hex>', 'the pin of the cluster CA: the join is refused if the server presents another')
  .option('--dir <dir>', 'configuration: the node\'s credentials and the agent\'s environment file', '/etc/berth')
  .option('--state-dir <dir>', 'state: the agent\'s root and log', '/var/lib/berth')
  .option('--node-name <name>', 'this machine\'s node name (default: the host name)')
  .option('--node-ip <ip>', 'the address the cluster reaches this node at (default: the one it reached the control plane from)')
  .option('--agent-arg <flag>', 'a further berth-agent flag, as --name=value (repeatable)', collect, [])
  .option('--force', 'replace the files of an earlier berth join')
  .addOption(startOption())
  .action(run(async (server: string, opts: JoinOptions) => (await import('./commands/join.js')).joinClusterCommand(server, opts)));

const token = program.command('token').description('Manage bootstrap tokens: what a machine presents to berth join (kubeadm token).');

token
  .command('create')
  .description('Make a bootstrap token and print it (with --print-join-command: the whole berth join line).')
  .option('--ttl <duration>', 'how long the token is valid, e.g. 30m, 24h (0: it never expires)', parseDuration, 24 * 3_600_000)
  .option('--description <text>', 'what the token is for (shown by berth token list)')
  .option('--print-join-command', 'print the berth join command with the token and the CA hash, not the token alone')
  .action(run(async (opts: TokenCreateOptions) => (await import('./commands/token.js')).tokenCreateCommand({ ...program.opts(), ...opts })));

token
  .command('list')
  .description('List the bootstrap tokens: id, time left, expiry, usages, description.')
  .action(run(async () => (await import('./commands/token.js')).tokenListCommand(program.opts())));

token
  .command('delete')
  .description('Delete (revoke) bootstrap tokens, by id or whole token.')
  .argument('<ids...>', 'token ids (the part before the dot) or whole tokens')
  .action(run(async (ids: string[]) => (await import('./commands/token.js')).tokenDeleteCommand(ids, program.opts())));

const localClusterOptions = (command: Command) =>
  command
    .option('--state-dir <dir>', 'where the local cluster keeps its state and logs', '/var/lib/berth/local')
    .option('--listen <port>', 'control plane port (it listens on the lab bridge address; host:port is accepted, the host is ignored)', '6443')
    .option('--etcd-port <port>', 'embedded etcd client port on 127.0.0.1 (the next port is its peer port)', parsePort, 23790)
    .option('--name <name>', 'cluster name: names the bridge, the node namespaces berth-<name>-node-<i> and the cgroup /berth-<name>', 'local')
    .option('--lab-cidr <cidr>', 'lab subnet: the bridge gets .1, node i gets .(10+i); must not overlap a route of this machine', '10.213.0.0/24')
    .option('--nodes <n>', 'number of nodes (agents), each in its own network namespace', parsePositive, 3)
    .option('--timeout <seconds>', 'how long up waits for every node to be Ready', parsePositive, 120)
    .option('--mirror-only', 'nodes pull only from the local registry, never from docker.io and the other registries it mirrors');

localClusterOptions(program.command('up').description('Start a local multi-node cluster on this machine: lab network, registry, etcd, control plane and node agents.'))
  .action(run(async (opts: LocalClusterFlags) => (await import('./commands/up.js')).upCommand(opts)));

localClusterOptions(program.command('down').description('Remove the local cluster: agents, containers, namespaces, mounts, cgroups, registry, control plane, state.'))
  .action(run(async (opts: LocalClusterFlags) => (await import('./commands/up.js')).downCommand(opts)));

await program.parseAsync();
