import { asString, commonSettings, type Setting, topics } from '@register-feeds/service-kit';

/** Everything pseudonymise reads from its environment; validated once in main.ts. */
export const settings = {
  ...commonSettings,
  eventsTopic: { env: 'EVENTS_TOPIC', doc: 'topic of canonical Avro register events', default: topics.events.name, parse: asString },
} satisfies Record<string, Setting<unknown>>;
