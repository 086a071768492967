import { CliError } from '../errors.js';
import type { GlobalOptions } from './context.js';
import { containerFor } from './default-container.js';
import { namespaceOf, printErr, withClient } from './context.js';

/** ExecOptions are the flags of `berth exec`. */
export interface ExecOptions extends GlobalOptions {
  container?: string;
  stdin?: boolean;
  tty?: boolean;
}

/**
 * exec runs a command in a pod's container, through the control plane and the pod's node, and
 * exits with the command's exit code. With -t (and a terminal here) the command gets a
 * terminal: this one is put in raw mode, so every key (Ctrl-C too) goes to the command, and
 * window size changes follow.
 */
export async function execCommand(pod: string, command: string[], options: ExecOptions): Promise<void> {
  const name = pod.startsWith('pod/') ? pod.slice(4) : pod;
  if (command.length === 0) throw new CliError('a command is required: berth exec POD [-c CONTAINER] [-i] [-t] -- COMMAND [ARG...]');
  let tty = options.tty ?? false;
  if (tty && !process.stdin.isTTY) {
    printErr('Unable to use a TTY - input is not a terminal or the right kind of file');
    tty = false;
  }
  const stdin = options.stdin ? process.stdin : undefined;
  const raw = tty && stdin !== undefined;
  if (raw) process.stdin.setRawMode(true);
  // A terminal that does not know its size says 0: the command then gets the usual 24x80.
  const terminalSize = () => ({ rows: process.stdout.rows || 24, cols: process.stdout.columns || 80 });
  try {
    const namespace = namespaceOf(options);
    const code = await withClient(options, async (client) =>
      client.exec(
        { namespace, pod: name, container: await containerFor(client, namespace, name, options.container), command, stdin: stdin !== undefined, tty, ...(tty ? { size: terminalSize() } : {}) },
        {
          ...(stdin ? { stdin } : {}),
          stdout: process.stdout,
          stderr: process.stderr,
          ...(tty ? { onResize: (send) => process.stdout.on('resize', () => send(terminalSize())) } : {}),
        },
      ),
    );
    process.exitCode = code;
  } finally {
    if (raw) process.stdin.setRawMode(false);
    // Stdin is not read any further: it must not keep the CLI running.
    stdin?.pause();
    stdin?.destroy();
  }
}
