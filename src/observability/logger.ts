import { pino, type Bindings, type ChildLoggerOptions, type Logger, type LoggerOptions } from 'pino';

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
  'masterKeyPrevious',
  '*.masterKeyPrevious',
  'databaseUrl',
  '*.databaseUrl',
  'syslogTlsKeyPassphrase',
  '*.syslogTlsKeyPassphrase',
  'oidcClientSecret',
  '*.oidcClientSecret',
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

/** What a request's logger offers (Fastify's base logger): the line methods, its level and children. */
export interface RequestLogger extends Pick<
  Logger,
  'level' | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
> {
  child(bindings: Bindings, options?: ChildLoggerOptions): RequestLogger;
}

/**
 * A child of `parent` made when it first writes a line. Fastify makes a child logger for every request (its
 * id bound), and pino builds each by running its bindings through the redaction paths: ~4 KB of garbage and
 * ~1% of a single POST's CPU, for a logger most requests never write to. Lines below the child's level are
 * dropped without making it; what it writes is exactly what the child would have written.
 */
export function lazyChild(
  parent: Logger,
  bindings: Bindings,
  options: ChildLoggerOptions = {},
): RequestLogger {
  return new LazyChild(parent, bindings, options);
}

/** One small object a request, its methods on the prototype: no closures made per request. */
class LazyChild implements RequestLogger {
  private made: Logger | undefined;
  /** The level it will be made with: the options', unless set since. */
  private pendingLevel: string;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {
    this.pendingLevel = options.level ?? parent.level;
  }

  get level(): string {
    return this.made?.level ?? this.pendingLevel;
  }

  set level(value: string) {
    if (this.made) this.made.level = value;
    else this.pendingLevel = value;
  }

  fatal(...args: unknown[]): void {
    this.line('fatal', args);
  }

  error(...args: unknown[]): void {
    this.line('error', args);
  }

  warn(...args: unknown[]): void {
    this.line('warn', args);
  }

  info(...args: unknown[]): void {
    this.line('info', args);
  }

  debug(...args: unknown[]): void {
    this.line('debug', args);
  }

  trace(...args: unknown[]): void {
    this.line('trace', args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): RequestLogger {
    return this.real().child(bindings, options);
  }

  private real(): Logger {
    this.made ??= this.parent.child(this.bindings, { ...this.options, level: this.pendingLevel });
    return this.made;
  }

  private line(method: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', args: unknown[]): void {
    // Once made, the child decides (pino's methods below its level do nothing).
    const { values } = this.parent.levels;
    if (!this.made && (values[method] ?? 0) < (values[this.pendingLevel] ?? Infinity)) return;
    const real = this.real();
    (real[method] as (...line: unknown[]) => void).apply(real, args);
  }
}
