package sluice.baseline;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * Writer schemas by id from a Confluent-compatible registry (GET /schemas/ids/{id}, plain HTTP) and
 * the Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro payload) by hand:
 * Confluent's serde jars are not on Maven Central, and this is all of them the baseline needs.
 * Ids are immutable, so each is fetched once; an unknown id is remembered as absent (its records
 * are dropped as malformed, as sluice dead-letters them).
 */
final class Registry {
  static final byte MAGIC = 0;
  static final int HEADER = 5;

  private static final Schema MISSING = Schema.create(Schema.Type.NULL);
  private final String baseUrl;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();

  Registry(String baseUrl) {
    this.baseUrl = baseUrl.replaceAll("/+$", "");
  }

  /** The schema registered under `id`, or null when the registry has none (HTTP 404). */
  Schema schema(int id) {
    Schema s = byId.computeIfAbsent(id, this::fetch);
    return s == MISSING ? null : s;
  }

  private Schema fetch(int id) {
    try {
      HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + "/schemas/ids/" + id)).GET().build();
      HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
      if (res.statusCode() == 404) return MISSING;
      if (res.statusCode() != 200) throw new IllegalStateException("registry answered " + res.statusCode() + " for schema id " + id + ": " + res.body());
      return new Schema.Parser().parse(json.readTree(res.body()).get("schema").asText());
    } catch (IOException e) {
      throw new IllegalStateException("registry unreachable for schema id " + id, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The schema id of a wire-format value, or -1 when the value is not in that format. */
  static int schemaId(byte[] value) {
    if (value == null || value.length < HEADER || value[0] != MAGIC) return -1;
    return ByteBuffer.wrap(value, 1, 4).getInt();
  }

  /** Prepends the wire header to an Avro payload. */
  static byte[] wire(int schemaId, byte[] payload, int length) {
    byte[] out = new byte[HEADER + length];
    ByteBuffer.wrap(out).put(MAGIC).putInt(schemaId).put(payload, 0, length);
    return out;
  }
}
