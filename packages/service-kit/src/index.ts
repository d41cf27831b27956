export * from './config/config.ts';
export { commonSettings } from './config/common-settings.ts';
export * from './kafka/bus.ts';
export { createKafkajsBus, type KafkajsBusOptions } from './kafka/kafkajs-bus.ts';
export { createLogger, type Logger, type LoggerOptions } from './log/logger.ts';
export { REDACTED, redact, scrubText, isPersonKey } from './log/redact.ts';
export { onShutdown } from './lifecycle/shutdown.ts';
export * from './registry/schema-registry.ts';
