import { Writable } from 'node:stream';
import winston from 'winston';

/** silentLogger is for tests and benchmarks that do not want log lines. */
export function silentLogger(): winston.Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
}

/** A log line as collectingLogger keeps it: level, message and the rest of its fields. */
export interface LoggedLine {
  level: string;
  message: string;
  [field: string]: unknown;
}

/** collectingLogger is for tests that assert what a component logged: every line lands in `lines`. */
export function collectingLogger(): { logger: winston.Logger; lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const sink = new Writable({
    objectMode: true,
    write(line: LoggedLine, _encoding, done) {
      lines.push(line);
      done();
    },
  });
  return { logger: winston.createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream: sink })] }), lines };
}
