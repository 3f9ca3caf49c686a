/**
 * How a patch replaces one of kafkajs' modules: its export is swapped in Node's require cache before
 * the kafkajs module that requires it (`requiredBy`) is loaded, so kafkajs binds the replacement. If
 * kafkajs was loaded first, the swap would reach nobody: the patch warns instead.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Swaps `module`'s export (both paths inside the kafkajs package); returns whether kafkajs uses the replacement. */
export function replaceExport(module: string, requiredBy: string, replacement: unknown, warning: { message: string; code: string }): () => boolean {
  const path = require.resolve(`kafkajs/src/${module}`);
  const userPath = require.resolve(`kafkajs/src/${requiredBy}`);
  if (require.cache[userPath] === undefined) {
    require(path);
    require.cache[path]!.exports = replacement;
  } else if (require(path) !== replacement) {
    process.emitWarning(warning.message, { code: warning.code });
  }
  return () => require(path) === replacement && require.cache[userPath] !== undefined;
}
