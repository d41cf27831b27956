export { type Catalogue, createCatalogue } from './catalogue.ts';
export {
  DEFAULT_MAX_ACTIVE_PERSONS,
  DEFAULT_START_DATE,
  type GenerateOptions,
  type GeneratorStats,
  generateRegisterEvents,
} from './generate.ts';
export { createPersonNumbers, type PersonNumbers } from './person-numbers.ts';
export { createRandom, type Random } from './random.ts';
export type { RawEvent } from './raw-event.ts';
