// Reads topics to their end with Kafka's own Java client (kafka-clients, from the stack's libs), not
// kafkajs: the fault suite counts what the services wrote with a client they do not use, so a bug the
// services and kafkajs share cannot hide itself. Run as a single-file program (Java 11+):
//   java -cp '<stack dist>/kafka-4.1.1/libs/*' ReadCommitted.java <bootstrap> <topic>...
// read_committed: records of aborted or open transactions are never printed. The end is each partition's
// last stable offset when the read starts. One line per record, tab-separated:
//   topic partition offset base64(key)|- base64(value)|-
// Kafka 4.1.1's ConsoleConsumer lives in kafka-tools, which the stack does not fetch; it also prints raw
// bytes (Avro values hold newlines), and it stops on a timeout rather than at the end.
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class ReadCommitted {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("isolation.level", "read_committed");
    props.put("enable.auto.commit", "false");
    props.put("max.poll.records", "5000");
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    long deadline = System.currentTimeMillis() + 120_000;
    Base64.Encoder b64 = Base64.getEncoder();
    BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.US_ASCII), 1 << 16);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (int i = 1; i < args.length; i++) {
        List<PartitionInfo> infos = consumer.partitionsFor(args[i], Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
          System.err.println("ReadCommitted: no such topic " + args[i]);
          System.exit(2);
        }
        for (PartitionInfo info : infos) partitions.add(new TopicPartition(info.topic(), info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      for (;;) {
        boolean done = true;
        for (TopicPartition tp : partitions) if (consumer.position(tp, Duration.ofSeconds(30)) < end.get(tp)) done = false;
        if (done) break;
        if (System.currentTimeMillis() > deadline) {
          System.err.println("ReadCommitted: not at the end after 120 s");
          System.exit(3);
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          out.write(r.topic() + "\t" + r.partition() + "\t" + r.offset() + "\t"
              + (r.key() == null ? "-" : b64.encodeToString(r.key())) + "\t"
              + (r.value() == null ? "-" : b64.encodeToString(r.value())) + "\n");
        }
      }
    }
    out.flush();
  }
}
