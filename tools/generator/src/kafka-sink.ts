/**
 * Sends generated lines to a raw topic, as the register would: unvalidated JSON values, keyed per person
 * with the raw contract's rawPersonKey so one person's events share a partition and stay in order.
 */

import { rawPersonKey } from '@register-feeds/contracts';
import { commonSettings, createKafkajsBus, createLogger, kafkaAuthOrExit, loadConfigOrExit } from '@register-feeds/service-kit';
import type { LineSink } from './stream-sink.ts';

export async function kafkaSink(topic: string): Promise<LineSink> {
  const config = loadConfigOrExit('generate', commonSettings);
  // stdout may carry nothing here, but logs still go to stderr, next to the progress line
  const logger = createLogger({ service: 'generate', level: 'warn', destination: process.stderr as never });
  const bus = createKafkajsBus({
    brokers: config.kafkaBrokers,
    clientId: `${config.kafkaClientId}-generate`,
    logger,
    auth: kafkaAuthOrExit('generate', config),
  });
  const producer = await bus.producer();
  return {
    write: (lines) => producer.send(lines.map((value) => ({ topic, key: rawPersonKey(value), value }))),
    close: () => producer.disconnect(),
  };
}
