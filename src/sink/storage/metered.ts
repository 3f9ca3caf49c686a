/** Latency and failures of every storage call, by operation (sluice_storage_operation_seconds, sluice_storage_failures_total). */
import type { StorageOperation, TopologyMetrics } from '../../telemetry/metrics.js';
import type { ObjectStorage } from './types.js';

export function metered(s: ObjectStorage, metrics: TopologyMetrics): ObjectStorage {
  const time = async <T>(op: StorageOperation, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      const v = await fn();
      metrics.storageOperation(s.backend, op, (performance.now() - t0) / 1000, true);
      return v;
    } catch (e) {
      metrics.storageOperation(s.backend, op, 0, false);
      throw e;
    }
  };
  return {
    backend: s.backend,
    location: s.location,
    spool: s.spool,
    check: () => s.check(),
    put: (key, file) => time('put', () => s.put(key, file)),
    copyOnce: (from, to) => time('copy', () => s.copyOnce(from, to)),
    list: (prefix) => time('list', () => s.list(prefix)),
    deletePrefix: (prefix) => time('delete', () => s.deletePrefix(prefix)),
    get: (key) => time('get', () => s.get(key)),
    close: () => s.close(),
  };
}
