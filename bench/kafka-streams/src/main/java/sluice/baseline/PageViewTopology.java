package sluice.baseline;

import java.time.Duration;
import org.apache.avro.Schema;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * topologies/page-views.yaml in Kafka Streams: decode + drop malformed, dedup by event_id (TTL),
 * group by page, tumbling 10 s windows with 2 s grace on event time, six exact metrics, one final
 * result per window, Avro in the wire format to the output topic. Two forms of the window step:
 *  - rows (default): the raw rows of open windows in a store, aggregated at close (WindowRows),
 *    as sluice does: one store put per record;
 *  - accumulator: the DSL's windowedBy().aggregate() with an exact accumulator (WindowAgg) and
 *    suppress(untilWindowCloses), which re-serializes the accumulator on every record.
 * Grouping: the bench keys its input by page (the generator's message key is the group-by value),
 * so no repartition is needed and each window lives in its input partition, as sluice's do;
 * --repartition re-keys by the decoded page through a repartition topic, as input keyed otherwise needs.
 */
final class PageViewTopology {
  static final String DEDUP_STORE = "dedup";
  static final String ROWS_STORE = "window-rows";
  static final String META_STORE = "window-meta";
  static final String AGG_STORE = "windows";

  record Options(String input, String output, Schema reader, long ttlMs, Duration size, Duration grace, int outputSchemaId, boolean repartition, boolean accumulator) {}

  static Topology build(Options o, Registry registry) {
    StreamsBuilder builder = new StreamsBuilder();
    // the standard dedup store: ids by event time, kept for the TTL (window size = retention = TTL)
    builder.addStateStore(Stores.windowStoreBuilder(
        Stores.persistentWindowStore(DEDUP_STORE, Duration.ofMillis(o.ttlMs()), Duration.ofMillis(o.ttlMs()), false),
        Serdes.String(), Serdes.Long()));
    Output output = new Output(registry, o.outputSchemaId());

    KStream<String, View> views = builder.stream(o.input(), Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .processValues(() -> new DecodeDedup(registry, o.reader(), o.ttlMs(), DEDUP_STORE), DEDUP_STORE);
    if (o.repartition()) views = views.selectKey((key, v) -> v.page()).repartition(Repartitioned.with(Serdes.String(), View.SERDE));

    KStream<String, byte[]> results;
    if (o.accumulator()) {
      results = views.groupByKey(Grouped.with(Serdes.String(), View.SERDE))
          .windowedBy(TimeWindows.ofSizeAndGrace(o.size(), o.grace()))
          .aggregate(WindowAgg::new, (page, v, agg) -> agg.add(v),
              Materialized.<String, WindowAgg, WindowStore<Bytes, byte[]>>as(AGG_STORE)
                  .withKeySerde(Serdes.String()).withValueSerde(WindowAgg.SERDE))
          .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
          .toStream()
          .map((w, agg) -> KeyValue.pair(w.key(), output.encode(w.key(), w.window().start(), w.window().end(), agg)));
    } else {
      // rows stay until their window closes at end + grace; twice that as retention leaves a margin
      Duration retention = o.size().plus(o.grace()).multipliedBy(2);
      builder.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(ROWS_STORE, retention, o.size(), true), Serdes.String(), View.SERDE));
      builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(META_STORE), Serdes.String(), Serdes.Long()));
      results = views.process(() -> new WindowRows(o.size().toMillis(), o.grace().toMillis(), ROWS_STORE, META_STORE, output), ROWS_STORE, META_STORE);
    }
    results.to(o.output(), Produced.with(Serdes.String(), Serdes.ByteArray()));
    return builder.build();
  }

  private PageViewTopology() {}
}
