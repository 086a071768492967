import winston from 'winston';

/** createLogger: structured JSON lines on stderr, one field per fact, at the given level. */
export function createLogger(level = process.env.BERTH_LOG_LEVEL ?? 'info', component = 'control-plane'): winston.Logger {
  return winston.createLogger({
    level,
    defaultMeta: { component },
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
  });
}
