import winston from 'winston';

/** silentLogger is for tests and benchmarks that do not want log lines. */
export function silentLogger(): winston.Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
}
