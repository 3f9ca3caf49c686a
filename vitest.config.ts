import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs no service and runs in seconds; `integration` talks to the real
// Kafka, registry and Redis that test/global-setup.ts finds or starts.
export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
    projects: [
      {
        test: {
          name: 'unit',
          // test/bench/*.test.ts: the bench's pure helpers, kept next to the bench
          include: ['test/unit/**/*.test.ts', 'test/bench/**/*.test.ts'],
          setupFiles: ['src/kafkajs/patches.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          // replicas run in the test process: kafkajs must load with the linear grouping, as in the CLI
          setupFiles: ['src/kafkajs/patches.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // the box has 2 cores shared with the broker and the registry
          fileParallelism: false,
        },
      },
    ],
  },
});
