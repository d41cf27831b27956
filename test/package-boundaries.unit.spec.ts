import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every workspace package (packages/*, services/*, tools/*) is used through its entry point: its
// package.json "exports" (src/index.ts, the public API). Code outside a package that reaches into its src/
// ties itself to that package's internals, which then cannot change without breaking the generator, the
// benchmarks or the tests (issue 12). This test reads every source file of the repository and fails on an
// import of another package's src/, by relative path or by a package subpath the package does not export,
// and on a package importing another that its package.json does not list (npm would not link it elsewhere).

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORKSPACE_DIRS = ['packages', 'services', 'tools'];
const SKIP_DIRS = new Set(['node_modules', '.git', '.local', 'dist', 'coverage']);
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

/**
 * Imports allowed to reach into another package's src/ anyway, each with its reason, as
 * "<importing file> -> <imported file>" (paths from the repository root). Keep it empty if you can.
 */
const EXCEPTIONS: ReadonlyMap<string, string> = new Map<string, string>([]);

/** The module specifiers a source text imports: static and dynamic imports, re-exports, require. */
function specifiersIn(source: string): string[] {
  const found: [number, string][] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push([match.index, match[1] as string]);
  return found.sort(([a], [b]) => a - b).map(([, specifier]) => specifier);
}

/** "services/ingest" for a path inside that package (from the root), null outside every package. */
function packageOf(path: string): string | null {
  const [top, name] = path.split(sep);
  return top !== undefined && name !== undefined && WORKSPACE_DIRS.includes(top) ? `${top}/${name}` : null;
}

interface Manifest {
  dir: string;
  exports: Set<string>;
  /** dependencies and devDependencies */
  uses: Set<string>;
}

function manifests(): Map<string, Manifest> {
  const byName = new Map<string, Manifest>();
  for (const top of WORKSPACE_DIRS) {
    for (const name of readdirSync(join(ROOT, top))) {
      let manifest: {
        name?: string;
        exports?: Record<string, string> | string;
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      try {
        manifest = JSON.parse(readFileSync(join(ROOT, top, name, 'package.json'), 'utf8'));
      } catch {
        continue;
      }
      if (manifest.name === undefined) continue;
      const exports = typeof manifest.exports === 'object' ? Object.keys(manifest.exports) : ['.'];
      const uses = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]);
      byName.set(manifest.name, { dir: `${top}/${name}`, exports: new Set(exports), uses });
    }
  }
  return byName;
}

/** What one file imports that it should not: one line per import, [] when none. */
function violationsIn(file: string, source: string, packages: ReadonlyMap<string, Manifest>): string[] {
  const own = packageOf(file);
  const problems: string[] = [];
  for (const specifier of specifiersIn(source)) {
    if (specifier.startsWith('.')) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), specifier));
      const theirs = packageOf(target);
      const intoSrc = theirs !== null && target.split(sep)[2] === 'src';
      if (intoSrc && theirs !== own && !EXCEPTIONS.has(`${file} -> ${target}`)) {
        problems.push(`${file} imports ${specifier}: ${theirs}'s src/ (use its entry point, ${theirs} package.json "exports")`);
      }
      continue;
    }
    const scoped = /^(@[^/]+\/[^/]+)(\/.+)?$/.exec(specifier);
    const manifest = scoped ? packages.get(scoped[1] as string) : undefined;
    if (scoped && manifest !== undefined) {
      const subpath = scoped[2] === undefined ? '.' : `.${scoped[2]}`;
      if (!manifest.exports.has(subpath)) problems.push(`${file} imports ${specifier}: not in ${manifest.dir}/package.json "exports"`);
      // inside a package, another workspace package is used only when its package.json says so
      const importer = [...packages.entries()].find(([, m]) => m.dir === own);
      if (importer !== undefined && importer[0] !== scoped[1] && !importer[1].uses.has(scoped[1] as string)) {
        problems.push(`${file} imports ${specifier}: not a dependency in ${own}/package.json`);
      }
    }
  }
  return problems;
}

function sourceFiles(dir = ROOT, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(relative(ROOT, path));
  }
  return out;
}

describe('package boundaries', () => {
  const packages = manifests();

  it('given every source file of the repository, then none imports another package’s src/ or a subpath it does not export', () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(100);
    expect(files.flatMap((file) => violationsIn(file, readFileSync(join(ROOT, file), 'utf8'), packages))).toEqual([]);
  });

  it('given an exception, then it still names an import that exists (a stale one is removed)', () => {
    for (const [pair, reason] of EXCEPTIONS) {
      const [file, target] = pair.split(' -> ') as [string, string];
      expect(reason.length, pair).toBeGreaterThan(0);
      const targets = specifiersIn(readFileSync(join(ROOT, file), 'utf8')).map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));
      expect(targets, pair).toContain(target);
    }
  });

  it('given imports that reach into another package or use one undeclared, then each is found, and a package’s own and public imports are not', () => {
    // written with UP and SCOPE for '..' and '@register-feeds', so this file does not import them itself
    const source = [
      "import { settings } from 'UP/services/ingest/src/config.ts';",
      "export { x } from 'UP/tools/replay/src/cli.ts';",
      "const later = await import('UP/packages/service-kit/src/index.ts');",
      "import { startIngest } from 'SCOPE/ingest';",
      "import { inner } from 'SCOPE/ingest/src/pipeline.ts';",
      "import { recordFor } from 'SCOPE/deliver/test-support';",
      "import { own } from './support/stack.ts';",
    ]
      .join('\n')
      .replaceAll('UP/', '../')
      .replaceAll('SCOPE/', '@register-feeds/');
    expect(violationsIn(join('test', 'example.ts'), source, packages)).toEqual([
      'test/example.ts imports ../services/ingest/src/config.ts: services/ingest\'s src/ (use its entry point, services/ingest package.json "exports")',
      'test/example.ts imports ../tools/replay/src/cli.ts: tools/replay\'s src/ (use its entry point, tools/replay package.json "exports")',
      'test/example.ts imports ../packages/service-kit/src/index.ts: packages/service-kit\'s src/ (use its entry point, packages/service-kit package.json "exports")',
      'test/example.ts imports @register-feeds/ingest/src/pipeline.ts: not in services/ingest/package.json "exports"',
    ]);
    const inDeliver = join('services', 'deliver', 'src', 'projections', 'example.ts');
    expect(
      violationsIn(inDeliver, "import { x } from '../../../pseudonymise/src/core.ts';\nimport { y } from '../deliver.ts';", packages),
    ).toEqual([
      'services/deliver/src/projections/example.ts imports ../../../pseudonymise/src/core.ts: services/pseudonymise\'s src/ (use its entry point, services/pseudonymise package.json "exports")',
    ]);
    const inModel = join('packages', 'register-model', 'src', 'example.ts');
    expect(violationsIn(inModel, "import { createLogger } from '@register-feeds/service-kit';", packages)).toEqual([
      'packages/register-model/src/example.ts imports @register-feeds/service-kit: not a dependency in packages/register-model/package.json',
    ]);
  });
});
