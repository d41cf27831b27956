/** The recipient topics a test's deliver reads, named after `id` (a uniqueName). */
export const deliverTestTopics = (id: string) => ({ stagemarkt: `${id}.stagemarkt`, svb: `${id}.svb`, ggd: `${id}.ggd` });

/**
 * The environment of a deliver of a test's own, for loadConfig(settings, ...) in-process or a child
 * process: it reads deliverTestTopics(id), its feeds are <id>.feed.*, its groups <id>.deliver-*, and its
 * read API takes any free port. The tokens and what else a test needs are the test's to add.
 */
export function deliverTestEnv({ id, brokers, registryUrl }: { id: string; brokers: readonly string[]; registryUrl: string }) {
  const topic = deliverTestTopics(id);
  return {
    KAFKA_BROKERS: brokers.join(','),
    SCHEMA_REGISTRY_URL: registryUrl,
    STAGEMARKT_TOPIC: topic.stagemarkt,
    SVB_TOPIC: topic.svb,
    GGD_TOPIC: topic.ggd,
    FEED_TOPIC_PREFIX: `${id}.feed.`,
    DELIVER_GROUP_PREFIX: `${id}.deliver`,
    DELIVER_HTTP_PORT: '0',
  };
}
