import type { ChildProcess } from 'node:child_process';

/**
 * The output of child processes a test starts (services run as `node main.ts`), kept instead of shown:
 * test/setup/quiet.ts prints it after a test that failed, and drops it after one that passed. Bounded, so
 * a chatty service in a long test cannot fill the memory.
 */

const MAX_CHARS_PER_CHILD = 64 * 1024;

interface Kept {
  name: string;
  text: string;
  dropped: number;
}

const kept: Kept[] = [];

/**
 * Keeps what the child writes on its piped stdout and stderr (spawn it with 'pipe' for those you want
 * kept; a stream the test reads itself can be piped as well, both see every chunk). Returns the child.
 */
export function keepOutput<T extends ChildProcess>(child: T, name: string): T {
  const entry: Kept = { name: `${name} (pid ${child.pid})`, text: '', dropped: 0 };
  kept.push(entry);
  const add = (chunk: Buffer | string) => {
    entry.text += chunk.toString();
    if (entry.text.length > MAX_CHARS_PER_CHILD) {
      const cut = entry.text.length - MAX_CHARS_PER_CHILD;
      entry.dropped += cut;
      entry.text = entry.text.slice(cut);
    }
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return child;
}

/** Everything kept since the last call, one block per child, and forgets it. Empty when nothing was kept. */
export function takeKeptOutput(): string {
  const blocks = kept
    .filter((k) => k.text.length > 0)
    .map((k) => `--- output of ${k.name}${k.dropped > 0 ? ` (first ${k.dropped} characters dropped)` : ''} ---\n${k.text.trimEnd()}\n`);
  for (const k of kept) {
    k.text = '';
    k.dropped = 0;
  }
  return blocks.join('');
}
