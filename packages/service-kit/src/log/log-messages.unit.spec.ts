import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The one way in the logger cannot guard: text a developer writes into a message (`log.info(\`student
// ${naam}\`)`). Numbers and dates in it are scrubbed, a name is not (no pattern finds one). So the code
// keeps to a rule this test checks on every log call in the repository: the message is a literal, and
// there are no format arguments; whatever varies goes into the merged object, where fields.ts decides.

const ROOT = resolve(import.meta.dirname, '../../../..');
const SOURCES = ['packages', 'services', 'tools', 'scripts', 'bench', 'test'];
const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/** Calls that pass on text they did not write, each with why that text holds no person data. */
const EXCEPTIONS: Record<string, string> = {
  // kafkajs's own log entries: broker, group and protocol messages about its connections, never a record
  'packages/service-kit/src/kafka/kafkajs-bus.ts': 'kafkajs log bridge',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** A receiver named like a logger: log, logger, this.log, ctx.logger, ingestLog, ... */
const isLoggerName = (text: string): boolean => /(^|\.)(log|logger|\w+Log|\w+Logger)$/.test(text);

const isLiteral = (node: ts.Expression): boolean =>
  ts.isStringLiteral(node) ||
  ts.isNoSubstitutionTemplateLiteral(node) ||
  (ts.isConditionalExpression(node) && isLiteral(node.whenTrue) && isLiteral(node.whenFalse)) ||
  (ts.isParenthesizedExpression(node) && isLiteral(node.expression));

/** What is wrong with one log call, or undefined when it keeps to the rule. */
function problemOf(call: ts.CallExpression, source: ts.SourceFile): string | undefined {
  const [first, second, ...rest] = call.arguments;
  if (first === undefined) return undefined;
  // (message) or (object, message): an object literal, an identifier or any other expression first is the merged object
  const firstIsMessage =
    ts.isStringLiteral(first) ||
    ts.isTemplateExpression(first) ||
    ts.isNoSubstitutionTemplateLiteral(first) ||
    ts.isBinaryExpression(first);
  const message = firstIsMessage ? first : second;
  const extra = firstIsMessage ? [second, ...rest].filter((a) => a !== undefined) : rest;
  if (message !== undefined && !isLiteral(message)) return `message is not a literal: ${message.getText(source)}`;
  if (extra.length > 0) return `format arguments: ${extra.map((a) => a.getText(source)).join(', ')}`;
  return undefined;
}

let checkedCalls = 0;

function logCallProblems(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  if (!/\b(trace|debug|info|warn|error|fatal)\(|\]\(/.test(text)) return [];
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const problems: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const where = `${relative(ROOT, path)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
      if (ts.isPropertyAccessExpression(callee) && LEVELS.has(callee.name.text) && isLoggerName(callee.expression.getText(source))) {
        checkedCalls += 1;
        const problem = problemOf(node, source);
        if (problem) problems.push(`${where}: ${problem}`);
      } else if (ts.isElementAccessExpression(callee) && isLoggerName(callee.expression.getText(source))) {
        problems.push(`${where}: the level is computed, so the call cannot be checked`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return problems;
}

describe('log calls in the code', () => {
  const files = SOURCES.flatMap((dir) => sourceFiles(join(ROOT, dir)));

  it('finds the code to check', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.some((f) => f.endsWith('services/ingest/src/pipeline.ts'))).toBe(true);
  });

  it('give every message as a literal, with no format arguments', () => {
    const problems = files.filter((f) => !(relative(ROOT, f) in EXCEPTIONS)).flatMap(logCallProblems);
    expect(problems).toEqual([]);
    expect(checkedCalls).toBeGreaterThan(20);
  });

  it('would notice a message built from a value', () => {
    const path = join(ROOT, 'packages/service-kit/src/log/fixture.ts');
    const check = (code: string) => {
      const source = ts.createSourceFile(path, code, ts.ScriptTarget.Latest, true);
      const call = (source.statements[0] as ts.ExpressionStatement).expression as ts.CallExpression;
      return problemOf(call, source);
    };
    expect(check("log.info({ topic }, 'ready');")).toBeUndefined();
    expect(check("logger.warn('second signal, exiting now');")).toBeUndefined();
    expect(check(`log.info(\`student \${naam}\`);`)).toMatch(/not a literal/);
    expect(check("log.info({ topic }, 'student ' + naam);")).toMatch(/not a literal/);
    expect(check('log.error({ err }, err.message);')).toMatch(/not a literal/);
    expect(check("log.info('student %s', naam);")).toMatch(/format arguments/);
  });
});
