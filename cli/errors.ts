/** CliError is an error the CLI prints as `error: <message>` (no stack trace) before exiting 1. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}
