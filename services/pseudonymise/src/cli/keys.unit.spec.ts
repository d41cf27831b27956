import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The keys CLI writes key files that are 0600 from their creation, also when it rewrites one (retire),
// and takes only a path on its command line, never a key.

const cli = new URL('./keys.ts', import.meta.url).pathname;
const mode = (path: string) => statSync(path).mode & 0o777;
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 20_000 });

let dir: string;
let umask: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'keys-cli-'));
  umask = process.umask(0o002); // a umask that would leave a plainly created file readable by everyone
});
afterEach(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run keys', () => {
  it('generates a key file with mode 0600 and refuses to overwrite it', () => {
    const file = join(dir, 'keys.json');
    const generated = run('generate', '--file', file);
    expect(generated.status, generated.stderr).toBe(0);
    expect(mode(file)).toBe(0o600);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')))).toContain('sbb-stagemarkt');
    const again = run('generate', '--file', file);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/exists; not overwriting keys/);
  });

  it('keeps mode 0600 when retire rewrites the file', () => {
    const file = join(dir, 'keys.json');
    expect(run('generate', '--file', file).status).toBe(0);
    const retired = run('retire', 'sbb-stagemarkt', '--file', file);
    expect(retired.status, retired.stderr).toBe(0);
    expect(mode(file)).toBe(0o600);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')))).not.toContain('sbb-stagemarkt');
  });

  it('does not echo an unknown option, which could be a pasted key', () => {
    const result = run('generate', '--key=c2VjcmV0LWtleS1tYXRlcmlhbA', '--file', join(dir, 'k.json'));
    expect(result.status).toBe(2);
    expect(result.stderr).not.toContain('c2VjcmV0LWtleS1tYXRlcmlhbA');
  });

  it('does not echo a key pasted where a command goes, and writes nothing', () => {
    const key = 'c2VjcmV0LWtleS1tYXRlcmlhbC1vZi00My1jaGFyYWN0ZXJz';
    const result = run(key, '--file', join(dir, 'k.json'));
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^keys: unknown command \(not shown: it could be a secret\)/);
    expect(result.stderr + result.stdout).not.toContain(key);
    expect(existsSync(join(dir, 'k.json'))).toBe(false);
  });

  it('prints the generated help with exit code 0', () => {
    const result = run('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/generate[\s\S]*retire <recipient>[\s\S]*retire-ended[\s\S]*shred <recipient>/);
  });
});
