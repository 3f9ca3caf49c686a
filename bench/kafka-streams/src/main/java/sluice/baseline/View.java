package sluice.baseline;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The fields of a decoded page view that the windows need (sluice's state rows hold the same
 * columns). The serde is used only when the topology repartitions (--repartition).
 */
record View(String page, String user, int latencyMs) {
  static final Serde<View> SERDE = Serdes.serdeFrom(new Ser(), new De());

  private static final class Ser implements Serializer<View> {
    @Override
    public byte[] serialize(String topic, View v) {
      byte[] page = v.page().getBytes(StandardCharsets.UTF_8);
      byte[] user = v.user().getBytes(StandardCharsets.UTF_8);
      return ByteBuffer.allocate(12 + page.length + user.length)
          .putInt(page.length).put(page).putInt(user.length).put(user).putInt(v.latencyMs()).array();
    }
  }

  private static final class De implements Deserializer<View> {
    @Override
    public View deserialize(String topic, byte[] data) {
      ByteBuffer b = ByteBuffer.wrap(data);
      String page = text(b);
      String user = text(b);
      return new View(page, user, b.getInt());
    }

    private static String text(ByteBuffer b) {
      int n = b.getInt();
      String s = new String(b.array(), b.position(), n, StandardCharsets.UTF_8);
      b.position(b.position() + n);
      return s;
    }
  }
}
