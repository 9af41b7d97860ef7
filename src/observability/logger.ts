import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear in a log object: credentials in requests, configuration and
 * connector settings never reach a log line.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  '*.secrets',
  'apiKey',
  '*.apiKey',
  '*.api_key',
  'masterKey',
  '*.masterKey',
  'databaseUrl',
  '*.databaseUrl',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-riposte-token"]',
  'req.headers["x-riposte-signature"]',
  'res.headers["set-cookie"]',
];

export interface LoggerSettings {
  level: LoggerOptions['level'];
  pretty?: boolean;
  /** Where lines go; stdout when omitted. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: 'riposte' },
  };
  if (settings.pretty && !settings.destination) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return settings.destination ? pino(options, settings.destination as pino.DestinationStream) : pino(options);
}
