import { defineConfig } from 'vitest/config';

// Two projects, named by layer: unit tests need no broker; integration and end-to-end tests get a real
// Kafka and schema registry from test/setup/stack.ts (env, testcontainers, or the local stack scripts).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          // unit tests first: they are quick and say most about a broken change
          sequence: { groupOrder: 0 },
          setupFiles: ['test/setup/quiet.ts'],
          include: [
            'packages/*/src/**/*.unit.spec.ts',
            'services/*/src/**/*.unit.spec.ts',
            'tools/*/src/**/*.unit.spec.ts',
            'test/**/*.unit.spec.ts',
          ],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'int',
          sequence: { groupOrder: 1 },
          include: ['packages/*/src/**/*.int.spec.ts', 'services/*/src/**/*.int.spec.ts', 'test/**/*.int.spec.ts', 'test/**/*.e2e.spec.ts'],
          environment: 'node',
          globalSetup: ['test/setup/stack.ts'],
          // service logs silent unless TEST_LOG_LEVEL is set; child processes' output shown only on failure
          setupFiles: ['test/setup/quiet.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // one test file at a time: on two cores the broker, the registry, the services under test and
          // the kill-and-restart child processes already compete; parallel files made timings flaky
          maxWorkers: 1,
        },
      },
      // The fault suite (test/faults, `npm run test:faults`): minutes long, it starts a stack of its own and
      // kills brokers, registries and services. Only there when scripts/faults.sh asks for it (FAULTS=1),
      // so `npm test` never runs it.
      ...(process.env.FAULTS === '1'
        ? [
            {
              test: {
                name: 'faults',
                include: ['test/faults/**/*.faults.spec.ts'],
                environment: 'node',
                testTimeout: 600_000,
                hookTimeout: 300_000,
                maxWorkers: 1,
              },
            },
          ]
        : []),
    ],
  },
});
