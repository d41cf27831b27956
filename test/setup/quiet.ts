import { afterAll, afterEach } from 'vitest';
import { takeKeptOutput } from './child-output.ts';

/**
 * Setup file of every test project: a run shows vitest's results, not the services' logs.
 *  - Service loggers made in tests use TEST_LOG_LEVEL (test/support/stack.ts testLogLevel(), and the
 *    files that read the variable themselves): unset, it becomes 'silent' here.
 *  - Child processes' output kept with keepOutput() is printed after a test that failed, else dropped.
 */

process.env.TEST_LOG_LEVEL ||= 'silent';

afterEach((context) => {
  const output = takeKeptOutput();
  if (context.task.result?.state === 'fail' && output) process.stderr.write(`\n${context.task.name}:\n${output}`);
});

// a failure in beforeAll or afterAll has no test to hang the output on: the file's state says it
// biome-ignore lint/correctness/noEmptyPattern: vitest reads a hook's fixtures from this pattern and wants one
afterAll(({}, suite) => {
  const output = takeKeptOutput();
  if (suite.result?.state === 'fail' && output) process.stderr.write(`\n${suite.name}:\n${output}`);
});
