// Logging with pino: JSON lines by default (for log shippers), pretty-printed when stdout is a TTY.
// Redis log levels map onto pino's: debug/verbose → debug, notice → info, warning → warn.

import pino, { Logger } from 'pino';

const LEVELS: Record<string, string> = {
  debug: 'debug',
  verbose: 'debug',
  notice: 'info',
  warning: 'warn',
  nothing: 'silent',
};

export function pinoLevel(redisLevel: string): string {
  return LEVELS[redisLevel] ?? 'info';
}

export function createLogger(redisLevel: string, file = '', pretty = process.stdout.isTTY === true): Logger {
  const level = pinoLevel(redisLevel);
  if (file) return pino({ level, base: { pid: process.pid } }, pino.destination({ dest: file, sync: false }));
  if (pretty) {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:standard', ignore: 'hostname' } },
    });
  }
  return pino({ level, base: { pid: process.pid } });
}

/** A logger that discards everything (tests that embed the server). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
