/**
 * Progress on stderr while generating, and one summary line at the end. On a terminal the line is
 * redrawn a few times a second; in a log (CI, docker) a new line every ten seconds keeps it readable.
 */

export interface ProgressOptions {
  /** events to generate, when known: gives a percentage and an ETA */
  total: number | undefined;
  tty: boolean;
  write: (text: string) => void;
  /** milliseconds, monotonic */
  now?: () => number;
}

export interface Progress {
  update(events: number, persons: number): void;
  /** ends the redrawn line on a terminal */
  finish(): void;
}

const TTY_INTERVAL_MS = 250;
const LOG_INTERVAL_MS = 10_000;

export function createProgress({ total, tty, write, now = () => performance.now() }: ProgressOptions): Progress {
  const started = now();
  let lastShown = started;
  let shown = false;
  return {
    update(events, persons) {
      const at = now();
      if (at - lastShown < (tty ? TTY_INTERVAL_MS : LOG_INTERVAL_MS)) return;
      lastShown = at;
      shown = true;
      const line = progressLine(events, persons, (at - started) / 1000, total);
      write(tty ? `\r${line}\u001b[K` : `${line}\n`);
    },
    finish() {
      if (tty && shown) write('\n');
    },
  };
}

export function progressLine(events: number, persons: number, seconds: number, total: number | undefined): string {
  const rate = seconds > 0 ? events / seconds : 0;
  const parts = [`generate: ${events} events`];
  if (total !== undefined) parts[0] += ` (${Math.floor((events / total) * 100)}%)`;
  parts.push(`${persons} persons`, `${Math.round(rate)} events/s`);
  if (total !== undefined && rate > 0) parts.push(`ETA ${duration((total - events) / rate)}`);
  return parts.join(', ');
}

export interface Summary {
  events: number;
  persons: number;
  seconds: number;
  peakRssMb: number;
}

export function summaryLine({ events, persons, seconds, peakRssMb }: Summary): string {
  const rate = seconds > 0 ? Math.round(events / seconds) : 0;
  return `generate: ${events} events, ${persons} persons, ${seconds.toFixed(1)} s, ${rate} events/s, peak RSS ${peakRssMb} MB`;
}

/** The process's peak resident set so far, in MB (resourceUsage reports kilobytes). */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${Math.floor(s / 60)}:${ss}`;
}
