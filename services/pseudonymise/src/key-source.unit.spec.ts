import { mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keyFileSource } from './key-source.ts';
import { generateTestKeys, KeyFileError } from './keys.ts';
import { agreements } from './sample-events.test-support.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function keyFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keys-'));
  dirs.push(dir);
  const path = join(dir, 'keys.json');
  writeFileSync(path, JSON.stringify(generateTestKeys(agreements.map((a) => a.recipient))), { mode: 0o600 });
  return path;
}

describe('keyFileSource', () => {
  it('given a running source, when a recipient is retired in the file, then the next read no longer has its key', () => {
    const path = keyFile();
    const source = keyFileSource({ path, agreements });
    expect(source.current().keyFor('ocw-minister')).toBeDefined();
    // what `npm run keys -- retire` does: the file without that recipient, renamed into place
    const rest = JSON.parse(readFileSync(path, 'utf8'));
    delete rest['ocw-minister'];
    writeFileSync(`${path}.tmp`, JSON.stringify(rest), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
    utimesSync(path, new Date(), new Date(Date.now() + 5_000));
    expect(source.current().keyFor('ocw-minister')).toBeUndefined();
    expect(source.current().keyFor('inspectie-onderwijs')).toBeDefined();
  });

  it('given the file disappears, when read, then it refuses to go on with the keys it had', () => {
    const path = keyFile();
    const source = keyFileSource({ path, agreements });
    source.current();
    rmSync(path);
    expect(() => source.current()).toThrow(KeyFileError);
  });

  it('given an agreement whose term ended, when read, then its key is not used', () => {
    const path = keyFile();
    const ended = agreements.map((a) =>
      a.recipient === 'svb-kostendelersnorm' ? { ...a, term: { from: a.term.from, to: a.term.from } } : a,
    );
    const source = keyFileSource({ path, agreements: ended });
    expect(source.current().keyFor('svb-kostendelersnorm')).toBeUndefined();
  });
});
