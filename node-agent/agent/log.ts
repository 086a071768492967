import winston from 'winston';

/** createAgentLogger: structured JSON lines on stderr, like the control plane's. */
export function createAgentLogger(level: string, node: string): winston.Logger {
  return winston.createLogger({
    level,
    defaultMeta: { component: 'berth-agent', node },
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
  });
}
