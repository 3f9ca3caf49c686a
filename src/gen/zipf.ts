/**
 * Zipf-distributed ranks: rank k (0-based) has weight 1/(k+1)^s, so a few keys are hot and most
 * are cold, as page or user keys are in real traffic. Sampling inverts a precomputed CDF.
 */
import type { Rng } from './prng.js';

export class Zipf {
  private readonly cdf: Float64Array;

  constructor(readonly n: number, readonly s = 1) {
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) this.cdf[k] = sum += 1 / Math.pow(k + 1, s);
    for (let k = 0; k < n; k++) this.cdf[k] = this.cdf[k]! / sum;
  }

  /** A rank in [0, n). */
  sample(rng: Rng): number {
    const u = rng.next();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
