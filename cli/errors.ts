/** CliError is an error the CLI prints as `error: <message>` (no stack trace) before exiting 1. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/**
 * aggregateMessage joins several errors about one object as kubectl's aggregate error does: one
 * message alone, several (duplicates dropped) in brackets.
 */
export function aggregateMessage(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? (unique[0] as string) : `[${unique.join(', ')}]`;
}
