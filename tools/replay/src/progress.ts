/**
 * Progress on stderr during long work, and a summary line at the end. On a terminal the line is redrawn
 * a few times a second; in a log a new line every ten seconds. Pure formatting, with the clock injected.
 */

export interface ProgressOptions {
  /** e.g. "export" */
  label: string;
  /** records to handle, when known: gives a percentage and an ETA */
  total: number | undefined;
  tty: boolean;
  write: (text: string) => void;
  /** milliseconds, monotonic */
  now?: () => number;
}

export interface Progress {
  update(records: number): void;
  /** ends the redrawn line and writes the summary */
  finish(records: number, extra?: string): void;
}

const TTY_INTERVAL_MS = 250;
const LOG_INTERVAL_MS = 10_000;

export function createProgress({ label, total, tty, write, now = () => performance.now() }: ProgressOptions): Progress {
  const started = now();
  let lastShown = started;
  let shown = false;
  return {
    update(records) {
      const at = now();
      if (at - lastShown < (tty ? TTY_INTERVAL_MS : LOG_INTERVAL_MS)) return;
      lastShown = at;
      shown = true;
      const line = progressLine(label, records, (at - started) / 1000, total);
      write(tty ? `\r${line}\u001b[K` : `${line}\n`);
    },
    finish(records, extra) {
      if (tty && shown) write('\n');
      write(`${summaryLine(label, records, (now() - started) / 1000, extra)}\n`);
    },
  };
}

export function progressLine(label: string, records: number, seconds: number, total: number | undefined): string {
  const rate = seconds > 0 ? records / seconds : 0;
  let head = `${label}: ${records} records`;
  if (total !== undefined && total > 0) head += ` of ${total} (${Math.floor((records / total) * 100)}%)`;
  const parts = [head, `${Math.round(rate)} records/s`];
  if (total !== undefined && rate > 0) parts.push(`ETA ${duration((total - records) / rate)}`);
  return parts.join(', ');
}

export function summaryLine(label: string, records: number, seconds: number, extra?: string): string {
  const rate = seconds > 0 ? Math.round(records / seconds) : 0;
  return `${label}: done, ${records} records in ${seconds.toFixed(1)} s (${rate} records/s)${extra ? `, ${extra}` : ''}`;
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${Math.floor(s / 60)}:${ss}`;
}
