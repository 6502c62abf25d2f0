// Structured JSON-line logging for the controller (one object per line on stdout).
// Known secrets are scrubbed from every line, whatever field they hide in. Calls read as pino's do
// (the app's logger): `log.info('msg')` or `log.info({ fields }, 'msg')`.

type LogLevel = 'debug' | 'info' | 'warn' | 'error';
type LogFields = Record<string, unknown>;

type LogMethod = {
  (msg: string): void;
  (fields: LogFields, msg: string): void;
};

export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

export interface LoggerOptions {
  /** Where lines go; stdout by default. */
  write?: (line: string) => void;
  /** Values that must never appear in a log line (tokens); each occurrence becomes "[redacted]". */
  secrets?: readonly string[];
  minLevel?: LogLevel;
  now?: () => number;
}

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4);
  const min = LEVEL_ORDER[options.minLevel ?? 'info'];
  const now = options.now ?? Date.now;

  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (LEVEL_ORDER[level] < min) return;
    let line: string;
    try {
      line = JSON.stringify({ time: new Date(now()).toISOString(), level, msg, ...fields }, errorReplacer);
    } catch {
      line = JSON.stringify({ time: new Date(now()).toISOString(), level, msg, note: 'fields not serialisable' });
    }
    for (const secret of secrets) line = line.split(secret).join('[redacted]');
    write(`${line}\n`);
  };
  const method =
    (level: LogLevel): LogMethod =>
    (a: string | LogFields, b?: string) =>
      typeof a === 'string' ? emit(level, a) : emit(level, b ?? '', a);
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
