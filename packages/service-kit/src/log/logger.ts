import { type DestinationStream, type Logger, pino } from 'pino';
import { redact, scrubText } from './redact.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level?: string;
  /** where JSON lines go; stdout by default (tests pass a stream to read what was logged) */
  destination?: DestinationStream;
}

/**
 * JSON logs with person identifiers removed by construction: every merged object goes through `redact`,
 * every message string through `scrubText`. Components take `logger.child({ component, topic, ... })`.
 */
export function createLogger({ service, level = 'info', destination }: LoggerOptions): Logger {
  const logger = pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redact(object) as Record<string, unknown>,
        bindings: (bindings) => redact(bindings) as Record<string, unknown>,
      },
      // errors are redacted like any other object: `redact` keeps type, message, stack, code and cause
      serializers: { err: (err: unknown) => redact(err) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubText(arg) : arg)) as Parameters<typeof method>;
          return method.apply(this, scrubbed);
        },
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
  return redactingChildren(logger);
}

/** pino writes child bindings as given (formatters.bindings sees only the root's), so children redact them here. */
function redactingChildren(logger: Logger): Logger {
  const child = logger.child.bind(logger) as unknown as (bindings: Record<string, unknown>, options?: object) => Logger;
  const redactedChild = (bindings: Record<string, unknown>, options?: object) =>
    redactingChildren(child(redact(bindings) as Record<string, unknown>, options));
  logger.child = redactedChild as unknown as Logger['child'];
  return logger;
}
