package sluice.baseline;

import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

/**
 * The Kafka Streams baseline, run by the bench (test/bench/streams-run.ts):
 *   java -jar target/kstreams-baseline.jar --bootstrap H:P --registry URL --input T --output T
 *        --app-id ID --output-schema-id N --reader-schema FILE --state-dir DIR
 *        [--threads N] [--repartition] [--state rows|accumulator]
 * Prints a progress line (Counters) every 100 ms on stdout; SIGTERM closes it cleanly (the last
 * transaction commits). Settings are Kafka Streams' defaults but for exactly_once_v2, the thread
 * count and the consumer starting at the earliest offset.
 */
public final class Main {
  public static void main(String[] argv) throws IOException, InterruptedException {
    Map<String, String> a = args(argv);
    Registry registry = new Registry(need(a, "registry"));
    PageViewTopology.Options o = new PageViewTopology.Options(
        need(a, "input"), need(a, "output"), new Schema.Parser().parse(new File(need(a, "reader-schema"))),
        Long.parseLong(a.getOrDefault("ttl-ms", "3600000")), Duration.ofSeconds(10), Duration.ofSeconds(2),
        Integer.parseInt(need(a, "output-schema-id")), a.containsKey("repartition"),
        "accumulator".equals(a.getOrDefault("state", "rows")));

    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, need(a, "app-id"));
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, need(a, "bootstrap"));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, a.getOrDefault("threads", "1"));
    p.put(StreamsConfig.STATE_DIR_CONFIG, need(a, "state-dir"));
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

    KafkaStreams streams = new KafkaStreams(PageViewTopology.build(o, registry), p);
    CountDownLatch stopped = new CountDownLatch(1);
    streams.setUncaughtExceptionHandler(e -> {
      System.err.println("stream thread failed: " + e);
      e.printStackTrace();
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    streams.setStateListener((now, before) -> {
      System.out.println("state " + now);
      if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) stopped.countDown();
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(Duration.ofSeconds(60));
      System.out.println(Counters.line());
      System.out.flush();
    }));
    Thread progress = new Thread(() -> {
      try {
        for (;;) {
          System.out.println(Counters.line());
          Thread.sleep(100);
        }
      } catch (InterruptedException e) {
        // the JVM is exiting
      }
    }, "progress");
    progress.setDaemon(true);
    progress.start();
    streams.start();
    stopped.await();
    System.exit(streams.state() == KafkaStreams.State.ERROR ? 1 : 0);
  }

  private static Map<String, String> args(String[] argv) {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i < argv.length; i++) {
      if (!argv[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument " + argv[i]);
      String name = argv[i].substring(2);
      boolean flag = i + 1 >= argv.length || argv[i + 1].startsWith("--");
      a.put(name, flag ? "" : argv[++i]);
    }
    return a;
  }

  private static String need(Map<String, String> a, String name) {
    String v = a.get(name);
    if (v == null || v.isEmpty()) throw new IllegalArgumentException("--" + name + " is required");
    return v;
  }

  private Main() {}
}
