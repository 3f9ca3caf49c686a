#!/usr/bin/env node
// Runs the compiled CLI when present (the Docker image), else the TypeScript sources through tsx,
// so `npx sluice …` works right after `npm ci`.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = fileURLToPath(new URL('../dist/cli/index.js', import.meta.url));
if (existsSync(dist)) {
  await import(pathToFileURL(dist).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/index.ts', import.meta.url).href);
}
