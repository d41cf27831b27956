// What the kernel says about a process of ours: memory from /proc/<pid>/status, CPU time from
// /proc/<pid>/stat. Linux only; the parsers are pure so they are unit-tested on captured text.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcMemory {
  /** resident set size now, kB */
  rssKb: number;
  /** peak resident set size since the process started (VmHWM), kB */
  peakRssKb: number;
}

/** VmRSS and VmHWM of a /proc/<pid>/status text. */
export function parseProcStatus(text: string): ProcMemory {
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB$`, 'm').exec(text);
    if (!match) throw new Error(`no ${name} in /proc/<pid>/status`);
    return Number(match[1]);
  };
  return { rssKb: field('VmRSS'), peakRssKb: field('VmHWM') };
}

/**
 * utime + stime of a /proc/<pid>/stat text, in clock ticks. The second field (the command name, in
 * parentheses) may hold spaces and parentheses itself, so the fields are counted from its last ')'.
 */
export function parseProcStatTicks(text: string): number {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error('not a /proc/<pid>/stat line');
  // after the name: field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('no utime/stime in /proc/<pid>/stat');
  return utime + stime;
}

let ticksPerSecond: number | undefined;
/** The kernel's clock ticks per second (getconf CLK_TCK; 100 on every Linux we know of). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export function procMemory(pid: number): ProcMemory {
  return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

/** CPU time (user + system) the process has used so far, in microseconds. */
export function procCpuUs(pid: number): number {
  return (parseProcStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) * 1e6) / clockTicksPerSecond();
}
