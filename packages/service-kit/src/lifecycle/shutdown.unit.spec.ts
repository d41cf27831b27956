import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// onShutdown in a process of its own, to see its exit code: 0 only when asked to stop, never when the work
// stopped by itself (issue 12: pseudonymise exited with 0 when its consumer crashed, and `restart:
// on-failure` never started it again).

const shutdownModule = new URL('./shutdown.ts', import.meta.url).href;

function runService(body: string, signal?: NodeJS.Signals): Promise<{ code: number | null; out: string }> {
  const script = `
    import { onShutdown } from ${JSON.stringify(shutdownModule)};
    const lines = [];
    const logger = { info: (...a) => lines.push(a.at(-1)), warn: (...a) => lines.push(a.at(-1)), error: (...a) => lines.push(a.at(-1)),
      fatal: (...a) => lines.push(a.at(-1)), flush: () => process.stdout.write(lines.join('\\n')) };
    ${body}
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let signalled = false;
  child.stdout.on('data', (d) => {
    out += d;
    if (signal && !signalled && out.includes('ready')) {
      signalled = true;
      child.kill(signal);
    }
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

describe('onShutdown', () => {
  it('exits with 1, not 0, when everything stopped without anyone asking (the event loop ran empty)', async () => {
    // a "consumer" that crashes after a moment and leaves nothing behind
    const { code, out } = await runService(`
      const work = setInterval(() => {}, 1000);
      onShutdown(logger, [async () => clearInterval(work)]);
      setTimeout(() => clearInterval(work), 50);
    `);
    expect(code).toBe(1);
    expect(out).toContain('nothing is running any more');
  });

  it('exits with 0 after the steps on SIGTERM', async () => {
    const { code, out } = await runService(
      `
      const work = setInterval(() => {}, 1000);
      onShutdown(logger, [async () => { clearInterval(work); lines.push('step ran'); }]);
      process.stdout.write('ready');
    `,
      'SIGTERM',
    );
    expect(code).toBe(0);
    expect(out).toContain('step ran');
  });

  it('runs the steps and exits with 1 when the service fails', async () => {
    const { code, out } = await runService(`
      const work = setInterval(() => {}, 1000);
      const lifecycle = onShutdown(logger, [async () => { clearInterval(work); lines.push('step ran'); }]);
      setTimeout(() => lifecycle.fail(new Error('the consumer gave up')), 20);
    `);
    expect(code).toBe(1);
    expect(out).toContain('step ran');
    expect(out).toContain('the service cannot go on: stopping with an error');
  });
});
