import { type DestinationStream, type Logger, pino } from 'pino';
import { renderMessage } from './message.ts';
import { redact } from './redact.ts';
import { scrubErrorText, scrubJsonLine, scrubText } from './text.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level?: string;
  /** where JSON lines go; stdout by default (tests pass a stream to read what was logged) */
  destination?: DestinationStream;
}

/**
 * JSON logs with person identifiers removed by construction, on every path pino offers:
 *
 *  - merged objects (`log.info(obj, msg)`, `log.info(obj)`, `log.error(err)`): formatters.log rebuilds
 *    each by the rules of fields.ts (person fields [redacted] at any depth, text only under allow-listed
 *    fields, payloads and bytes never, errors as kind, message, stack, code and cause);
 *  - the message and its format arguments: the logMethod hook makes the message itself (message.ts), so
 *    pino never interpolates a raw argument, and fills in an error's message the way pino would;
 *  - bindings (`base`, `child(bindings)`, `setBindings`): redacted like merged objects. pino applies
 *    formatters.bindings only to the root's, so every logger handed out redacts its children's itself,
 *    and a child cannot turn any of this off (its formatters, serializers and redact options are dropped);
 *  - and, as the last net, the finished line (hooks.streamWrite): anything that still looks like a person
 *    number or a date, from whatever path, becomes [redacted] before a byte is written.
 *
 * The hot path stays cheap: pino skips disabled levels before any of this runs, and each step is a walk
 * over what the call passed plus a regex scan of the line.
 */
export function createLogger({ service, level = 'info', destination }: LoggerOptions): Logger {
  const logger = pino(
    {
      level,
      base: { service },
      timestamp: isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redact(object) as Record<string, unknown>,
        bindings: (bindings) => redact(bindings) as Record<string, unknown>,
      },
      // formatters.log has already made every error a redacted plain object; pino's serializer would only re-read it
      serializers: { err: (err: unknown) => err },
      hooks: {
        logMethod(args, method) {
          return method.apply(this, safeArguments(args) as Parameters<typeof method>);
        },
        streamWrite: (line) => scrubJsonLine(line, afterTime(line)),
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
  return guarded(logger, logger.child, logger.setBindings);
}

const TIME = ',"time":"';
const isoTime = (): string => `${TIME}${new Date().toISOString()}"`;

/** Where the line's own time ends: the line scrub starts there, so the time is kept. */
function afterTime(line: string): number {
  const at = line.indexOf(TIME);
  return at < 0 ? 0 : line.indexOf('"', at + TIME.length) + 1;
}

const NONE: readonly unknown[] = [];

/** A log call's arguments as pino will be given them: a redactable merged object and a finished message. */
export function safeArguments(args: readonly unknown[]): unknown[] {
  const first = args[0];
  if (typeof first === 'object' && first !== null) {
    const merged = (first instanceof Error ? { err: first } : first) as Record<string, unknown>;
    const message = renderMessage(args[1], args.length > 2 ? args.slice(2) : NONE) ?? messageOfError(merged);
    return message === undefined ? [merged] : [merged, message];
  }
  // pino takes the next argument as the message when the first is undefined
  const message =
    first === undefined ? renderMessage(args[1], args.slice(2)) : renderMessage(first, args.length > 1 ? args.slice(1) : NONE);
  return [message];
}

/** pino uses the error's message when a call with an error has none; it would not scrub it. */
function messageOfError(merged: Record<string, unknown>): string | undefined {
  const err = merged.err;
  if (merged.msg !== undefined || typeof err !== 'object' || err === null) return undefined;
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' ? scrubErrorText(message) : undefined;
}

type Child = Logger['child'];
type SetBindings = Logger['setBindings'];

/** Makes `logger` redact its children's bindings and theirs, all the way down, with pino's own methods. */
function guarded(logger: Logger, pinoChild: Child, pinoSetBindings: SetBindings): Logger {
  const child = (bindings: Record<string, unknown>, options?: { level?: string; msgPrefix?: string }): Logger =>
    guarded(
      pinoChild.call(logger, redact(bindings) as Record<string, unknown>, childOptions(options)) as unknown as Logger,
      pinoChild,
      pinoSetBindings,
    );
  logger.child = child as unknown as Child;
  logger.setBindings = (bindings) => pinoSetBindings.call(logger, redact(bindings) as Record<string, unknown>);
  return logger;
}

/** Only a level and a message prefix: formatters, serializers or redact paths of a child would undo the above. */
function childOptions(options: { level?: string; msgPrefix?: string } | undefined) {
  if (options == null) return undefined;
  return {
    ...(typeof options.level === 'string' ? { level: options.level } : {}),
    ...(typeof options.msgPrefix === 'string' ? { msgPrefix: scrubText(options.msgPrefix) } : {}),
  };
}
