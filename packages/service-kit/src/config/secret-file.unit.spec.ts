import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replaceSecretFile, writeNewSecretFile } from './secret-file.ts';

// Secret files are 0600 from the moment they exist, whatever the umask (which can only take bits away).

const mode = (path: string) => statSync(path).mode & 0o777;
let dir: string;
let umask: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'secret-file-'));
  umask = process.umask(0); // the most permissive umask: the mode must come from the creation itself
});
afterEach(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

describe('writeNewSecretFile', () => {
  it('creates the file with mode 0600', () => {
    const path = join(dir, 'keys.json');
    writeNewSecretFile(path, '{"k":1}\n');
    expect(mode(path)).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('{"k":1}\n');
  });

  it('never overwrites an existing file', () => {
    const path = join(dir, 'keys.json');
    writeFileSync(path, 'old');
    expect(() => writeNewSecretFile(path, 'new')).toThrow(/EEXIST/);
    expect(readFileSync(path, 'utf8')).toBe('old');
  });
});

describe('replaceSecretFile', () => {
  it('replaces a file that was readable by others with a 0600 one, and leaves no temporary file', () => {
    const path = join(dir, 'keys.json');
    writeFileSync(path, 'old');
    chmodSync(path, 0o644);
    // a stale temporary file of an older version of the tool, world-readable: never reused
    writeFileSync(`${path}.tmp`, 'stale');
    chmodSync(`${path}.tmp`, 0o644);
    replaceSecretFile(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(mode(path)).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['keys.json', 'keys.json.tmp']);
  });
});
