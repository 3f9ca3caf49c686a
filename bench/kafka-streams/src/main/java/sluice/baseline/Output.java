package sluice.baseline;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * A closed window as the output record sluice writes: the output schema sluice registered (the
 * bench passes its id), group key, window bounds (ms) and the six metrics of
 * topologies/page-views.yaml, each converted to its field's Avro type (sluice casts integers to
 * long and floats to double), in the wire format.
 */
final class Output {
  private final int schemaId;
  private final Schema schema;
  private final GenericDatumWriter<GenericRecord> writer;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
  private BinaryEncoder encoder;

  Output(Registry registry, int schemaId) {
    this.schemaId = schemaId;
    this.schema = registry.schema(schemaId);
    if (schema == null) throw new IllegalArgumentException("the registry has no output schema with id " + schemaId);
    this.writer = new GenericDatumWriter<>(schema);
  }

  /** Encodes one window. Synchronized: one instance serves every stream thread, and one window costs ~1 µs. */
  synchronized byte[] encode(String page, long start, long end, WindowAgg a) {
    Counters.WINDOWS.incrementAndGet();
    GenericRecord r = new GenericData.Record(schema);
    Map<String, Object> values = Map.of(
        "window_start", start,
        "window_end", end,
        "views", a.count,
        "latency_sum", a.sum,
        "latency_min", a.min,
        "latency_max", a.max,
        "unique_users", a.users.size(),
        "latency_p95", a.quantileCont(0.95));
    for (Schema.Field f : schema.getFields()) {
      Object v = f.name().equals("page") ? page : values.get(f.name());
      if (v == null) throw new IllegalStateException("output field " + f.name() + " has no counterpart in the baseline");
      r.put(f.pos(), as(typeOf(f.schema()), v));
    }
    try {
      bytes.reset();
      encoder = EncoderFactory.get().binaryEncoder(bytes, encoder);
      writer.write(r, encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Registry.wire(schemaId, bytes.toByteArray(), bytes.size());
  }

  /** The non-null branch of a ["null", T] union, else the type itself. */
  private static Schema.Type typeOf(Schema s) {
    if (s.getType() != Schema.Type.UNION) return s.getType();
    for (Schema b : s.getTypes()) if (b.getType() != Schema.Type.NULL) return b.getType();
    return Schema.Type.NULL;
  }

  private static Object as(Schema.Type t, Object v) {
    return switch (t) {
      case LONG -> ((Number) v).longValue();
      case INT -> ((Number) v).intValue();
      case DOUBLE -> ((Number) v).doubleValue();
      case FLOAT -> ((Number) v).floatValue();
      case STRING -> v.toString();
      default -> throw new IllegalStateException("output field type " + t + " is not one the bench's topology has");
    };
  }
}
