/**
 * Running a CNI network configuration list the way the CNI specification asks of a runtime:
 * each plugin is the binary named by its `type` in the plugin directory, run with CNI_COMMAND,
 * CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME and CNI_PATH in its environment and its configuration
 * (with the list's name and cniVersion, the previous result and its runtimeConfig) on stdin.
 * ADD and CHECK run the plugins in order, DEL in reverse.
 */
import { join } from 'node:path';
import type { CommandRunner } from './commands.js';
import { parseCniResult, pluginFailure } from './cni-result.js';
import type { CniAttachment, CniCommand, CniNetworkConfigList, CniPluginConfig, CniResult, CniRuntimeConfig } from './cni-types.js';

/** Debian's containernetworking-plugins install here. */
export const DEFAULT_CNI_BIN_DIR = '/usr/lib/cni';
/** How long one plugin run may take before it is killed (a stuck plugin must not hold a pod forever). */
const PLUGIN_TIMEOUT_MS = 60_000;

/**
 * pluginInput is the JSON a plugin reads on stdin: its own configuration, the list's name and
 * cniVersion, `runtimeConfig` holding only the capabilities it declares, and `prevResult` when
 * there is one (the previous plugin's on ADD, the cached result on CHECK and DEL).
 */
export function pluginInput(list: CniNetworkConfigList, plugin: CniPluginConfig, prevResult: CniResult | undefined, runtimeConfig: CniRuntimeConfig): Record<string, unknown> {
  const input: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  const granted = Object.entries(plugin.capabilities ?? {})
    .filter(([name, on]) => on && (runtimeConfig as Record<string, unknown>)[name] !== undefined)
    .map(([name]) => [name, (runtimeConfig as Record<string, unknown>)[name]] as const);
  if (granted.length > 0) input.runtimeConfig = Object.fromEntries(granted);
  if (prevResult) input.prevResult = prevResult;
  return input;
}

/** pluginEnv is the CNI_* environment of one plugin run. */
export function pluginEnv(command: CniCommand, attachment: CniAttachment, binDir: string): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: attachment.containerId,
    CNI_NETNS: attachment.netns,
    CNI_IFNAME: attachment.ifName,
    CNI_PATH: binDir,
    // Set (empty) so nothing of the agent's own environment reaches the plugins as CNI arguments.
    CNI_ARGS: '',
  };
}

/**
 * CniPluginChain is used to run a configuration list's plugins for one attachment. Lifecycle of
 * an attachment: add() once (on failure it has already deleted what it made), check() any time
 * after with add()'s result, del() once at the end (tolerates an attachment already gone, as
 * the plugins do).
 */
export class CniPluginChain {
  constructor(private readonly run: CommandRunner, private readonly binDir = DEFAULT_CNI_BIN_DIR) {}

  /** add attaches: every plugin in order, each given the result before it; returns the last result. */
  async add(list: CniNetworkConfigList, attachment: CniAttachment, runtimeConfig: CniRuntimeConfig = {}): Promise<CniResult> {
    let result: CniResult | undefined;
    try {
      for (const plugin of list.plugins) {
        const stdout = await this.invoke('ADD', list, plugin, attachment, result, runtimeConfig);
        result = parseCniResult(stdout, plugin.type);
      }
    } catch (err) {
      // Undo, as the specification asks of a runtime whose ADD failed: DEL the whole list.
      await this.del(list, attachment, result, runtimeConfig).catch(() => undefined);
      throw err;
    }
    if (!result) throw new Error(`CNI network ${list.name} has no plugins`);
    return result;
  }

  /** check asks every plugin, in order, whether the attachment is still as `result` says. */
  async check(list: CniNetworkConfigList, attachment: CniAttachment, result: CniResult, runtimeConfig: CniRuntimeConfig = {}): Promise<void> {
    for (const plugin of list.plugins) await this.invoke('CHECK', list, plugin, attachment, result, runtimeConfig);
  }

  /**
   * del detaches: every plugin in reverse order. A plugin that fails does not stop the others
   * (an address must be released even when a veth could not be deleted); the first failure is
   * thrown at the end.
   */
  async del(list: CniNetworkConfigList, attachment: CniAttachment, result: CniResult | undefined, runtimeConfig: CniRuntimeConfig = {}): Promise<void> {
    let first: unknown;
    for (const plugin of [...list.plugins].reverse()) {
      try {
        await this.invoke('DEL', list, plugin, attachment, result, runtimeConfig);
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }

  private async invoke(command: CniCommand, list: CniNetworkConfigList, plugin: CniPluginConfig, attachment: CniAttachment, prevResult: CniResult | undefined, runtimeConfig: CniRuntimeConfig): Promise<string> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(plugin.type)) throw new Error(`CNI network ${list.name}: plugin type ${JSON.stringify(plugin.type)} is not a plugin name`);
    const file = join(this.binDir, plugin.type);
    const outcome = await this.run(file, [], {
      input: JSON.stringify(pluginInput(list, plugin, prevResult, runtimeConfig)),
      env: pluginEnv(command, attachment, this.binDir),
      timeoutMs: PLUGIN_TIMEOUT_MS,
    }).catch((err: unknown) => {
      throw new Error(`CNI plugin ${file} could not be run (${(err as Error).message}): install Debian's containernetworking-plugins, or point --cni-bin-dir at the plugins`, { cause: err });
    });
    if (outcome.exitCode !== 0) throw pluginFailure(plugin.type, command, outcome);
    return outcome.stdout;
  }
}
