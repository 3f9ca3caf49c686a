package sluice.baseline;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What the bench reads from the progress lines on stdout: every input record is counted once, when
 * the decode step sees it (as sluice counts it at decode), whatever then happens to it.
 */
final class Counters {
  static final AtomicLong INPUT = new AtomicLong();
  static final AtomicLong MALFORMED = new AtomicLong();
  static final AtomicLong DUPLICATES = new AtomicLong();
  /** Records whose message key is not their page: without --repartition their windows would be wrong. */
  static final AtomicLong KEY_MISMATCH = new AtomicLong();
  static final AtomicLong WINDOWS = new AtomicLong();

  static String line() {
    return "progress input=" + INPUT.get() + " malformed=" + MALFORMED.get() + " duplicates=" + DUPLICATES.get()
        + " key_mismatch=" + KEY_MISMATCH.get() + " windows=" + WINDOWS.get();
  }

  private Counters() {}
}
