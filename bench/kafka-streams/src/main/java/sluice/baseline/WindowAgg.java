package sluice.baseline;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * One (page, window)'s aggregate, exact like sluice's (which keeps the raw rows and aggregates at
 * close): count, sum, min and max as numbers; every distinct user (count(DISTINCT user_id)); and
 * every distinct latency with how often it occurred, which is the sorted multiset of latencies that
 * quantile_cont needs, without one entry per event. Its size grows with the distinct users and
 * latencies of the window, not its events; Kafka Streams stores it serialized, so every update
 * deserializes and re-serializes it (the cost of exact distinct/quantile in the DSL).
 */
final class WindowAgg {
  long count;
  long sum;
  int min = Integer.MAX_VALUE;
  int max = Integer.MIN_VALUE;
  final Set<String> users = new HashSet<>();
  final Map<Integer, Long> latencies = new HashMap<>();

  WindowAgg add(View v) {
    count++;
    sum += v.latencyMs();
    min = Math.min(min, v.latencyMs());
    max = Math.max(max, v.latencyMs());
    users.add(v.user());
    latencies.merge(v.latencyMs(), 1L, Long::sum);
    return this;
  }

  /** DuckDB's quantile_cont: linear interpolation between the order statistics around (n - 1) * q. */
  double quantileCont(double q) {
    double pos = (count - 1) * q;
    long lo = (long) Math.floor(pos);
    long hi = (long) Math.ceil(pos);
    double loValue = Double.NaN;
    long seen = 0;
    for (Map.Entry<Integer, Long> e : new TreeMap<>(latencies).entrySet()) {
      long next = seen + e.getValue();
      if (Double.isNaN(loValue) && lo < next) loValue = e.getKey();
      if (hi < next) return loValue + (pos - lo) * (e.getKey() - loValue);
      seen = next;
    }
    return Double.NaN; // count == 0: no window has that
  }

  static final Serde<WindowAgg> SERDE = Serdes.serdeFrom((topic, a) -> a.toBytes(), (topic, b) -> fromBytes(b));

  private byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + users.size() * 16 + latencies.size() * 12);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeLong(count);
      out.writeLong(sum);
      out.writeInt(min);
      out.writeInt(max);
      out.writeInt(users.size());
      for (String u : users) out.writeUTF(u);
      out.writeInt(latencies.size());
      for (Map.Entry<Integer, Long> e : latencies.entrySet()) {
        out.writeInt(e.getKey());
        out.writeLong(e.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static WindowAgg fromBytes(byte[] b) {
    if (b == null) return null;
    WindowAgg a = new WindowAgg();
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
      a.count = in.readLong();
      a.sum = in.readLong();
      a.min = in.readInt();
      a.max = in.readInt();
      for (int i = in.readInt(); i > 0; i--) a.users.add(in.readUTF());
      for (int i = in.readInt(); i > 0; i--) a.latencies.put(in.readInt(), in.readLong());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return a;
  }
}
