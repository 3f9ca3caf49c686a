import { defineConfig } from 'vitest/config';

// The bench's own unit tests (pure helpers), outside the root config's projects:
//   npx vitest run --config test/bench/vitest.config.ts
export default defineConfig({ test: { include: ['test/bench/**/*.test.ts'] } });
