package sluice.baseline;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Tumbling windows the way sluice keeps them: the raw rows of open windows in a state store (a
 * window store with duplicates retained, changelogged like any Kafka Streams store), aggregated
 * once, when the window closes. The close rule is sluice's and suppress(untilWindowCloses)'s: a
 * window [s, e) is final once stream time (the largest event time seen by this task) reaches
 * e + grace, and a record for a final window is late and dropped. One row costs one store put,
 * where the DSL's aggregate (--state accumulator) re-serializes the whole exact accumulator.
 * The last emitted window end is stored, so a restarted task neither re-emits nor reopens one.
 */
final class WindowRows implements Processor<String, View, String, byte[]> {
  static final String LAST_CLOSED = "last-closed-end";
  private final long sizeMs;
  private final long graceMs;
  private final String rowsStore;
  private final String metaStore;
  private final Output output;
  private ProcessorContext<String, byte[]> context;
  private WindowStore<String, View> rows;
  private KeyValueStore<String, Long> meta;
  private final TreeSet<Long> openStarts = new TreeSet<>();
  private long streamTime = Long.MIN_VALUE;
  private long lastClosedEnd = Long.MIN_VALUE;

  WindowRows(long sizeMs, long graceMs, String rowsStore, String metaStore, Output output) {
    this.sizeMs = sizeMs;
    this.graceMs = graceMs;
    this.rowsStore = rowsStore;
    this.metaStore = metaStore;
    this.output = output;
  }

  @Override
  public void init(ProcessorContext<String, byte[]> context) {
    this.context = context;
    this.rows = context.getStateStore(rowsStore);
    this.meta = context.getStateStore(metaStore);
    Long closed = meta.get(LAST_CLOSED);
    if (closed != null) lastClosedEnd = closed;
    try (KeyValueIterator<Windowed<String>, View> it = rows.all()) { // windows restored from the changelog
      while (it.hasNext()) {
        long start = it.next().key.window().start();
        if (start + sizeMs > lastClosedEnd) openStarts.add(start);
      }
    }
  }

  @Override
  public void process(Record<String, View> record) {
    long ts = record.timestamp();
    streamTime = Math.max(streamTime, ts);
    long start = ts - Math.floorMod(ts, sizeMs);
    if (start + sizeMs + graceMs <= streamTime || start + sizeMs <= lastClosedEnd) return; // late
    rows.put(record.key(), record.value(), start);
    openStarts.add(start);
    while (!openStarts.isEmpty() && openStarts.first() + sizeMs + graceMs <= streamTime) close(openStarts.pollFirst());
  }

  private void close(long start) {
    Map<String, WindowAgg> groups = new HashMap<>();
    try (KeyValueIterator<Windowed<String>, View> it = rows.fetchAll(Instant.ofEpochMilli(start), Instant.ofEpochMilli(start))) {
      while (it.hasNext()) {
        KeyValue<Windowed<String>, View> row = it.next();
        groups.computeIfAbsent(row.key.key(), k -> new WindowAgg()).add(row.value);
      }
    }
    long end = start + sizeMs;
    for (Map.Entry<String, WindowAgg> g : groups.entrySet()) {
      context.forward(new Record<>(g.getKey(), output.encode(g.getKey(), start, end, g.getValue()), end));
    }
    lastClosedEnd = Math.max(lastClosedEnd, end);
    meta.put(LAST_CLOSED, lastClosedEnd);
  }
}
