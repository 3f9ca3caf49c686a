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
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * topologies/page-views.yaml in Kafka Streams: decode + drop malformed, dedup by event_id (TTL),
 * group by page, tumbling 10 s windows with 2 s grace on event time, six exact metrics, one final
 * result per window (suppress until the window closes), Avro in the wire format to the output topic.
 *
 * Grouping: the bench keys its input by page (the generator's message key is the group-by value),
 * so groupByKey needs no repartition and each window lives in its input partition, as sluice's do;
 * --repartition groups by the decoded page instead (an internal repartition topic), as a job
 * whose input is keyed otherwise must.
 */
final class PageViewTopology {
  static final String DEDUP_STORE = "dedup";
  static final String WINDOW_STORE = "windows";

  record Options(String input, String output, Schema reader, long ttlMs, Duration size, Duration grace, int outputSchemaId, boolean repartition) {}

  static Topology build(Options o, Registry registry) {
    StreamsBuilder builder = new StreamsBuilder();
    // the standard dedup store: ids by event time, kept for the TTL (window size = retention = TTL)
    builder.addStateStore(Stores.windowStoreBuilder(
        Stores.persistentWindowStore(DEDUP_STORE, Duration.ofMillis(o.ttlMs()), Duration.ofMillis(o.ttlMs()), false),
        Serdes.String(), Serdes.Long()));
    Output output = new Output(registry, o.outputSchemaId());

    KStream<String, View> views = builder.stream(o.input(), Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .processValues(() -> new DecodeDedup(registry, o.reader(), o.ttlMs(), DEDUP_STORE), DEDUP_STORE);
    KGroupedStream<String, View> byPage = o.repartition()
        ? views.groupBy((key, v) -> v.page(), Grouped.with(Serdes.String(), View.SERDE))
        : views.groupByKey(Grouped.with(Serdes.String(), View.SERDE));
    byPage.windowedBy(TimeWindows.ofSizeAndGrace(o.size(), o.grace()))
        .aggregate(WindowAgg::new, (page, v, agg) -> agg.add(v),
            Materialized.<String, WindowAgg, WindowStore<Bytes, byte[]>>as(WINDOW_STORE)
                .withKeySerde(Serdes.String()).withValueSerde(WindowAgg.SERDE))
        .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
        .toStream()
        .map((window, agg) -> KeyValue.pair(window.key(), output.encode(window, agg)))
        .to(o.output(), Produced.with(Serdes.String(), Serdes.ByteArray()));
    return builder.build();
  }

  private PageViewTopology() {}
}
