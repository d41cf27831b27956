/**
 * The public API of the pseudonymise service, for the other packages, the tests, the benchmarks and the
 * tools: the pure core (agreements, keys, pseudonyms, minimisation, recipient schemas; core.ts), the key
 * sources, and the edge started in-process. main.ts stays the process entry; anything not exported here
 * is pseudonymise's own and may change without notice.
 */

export { settings } from './config.ts';
export * from './core.ts';
export { fixedKeys, type KeyFileSourceOptions, type KeySource, keyFileSource } from './key-source.ts';
export { type PseudonymiseConfig, type PseudonymiseCounters, type PseudonymisePipeline, startPseudonymise } from './pipeline.ts';
export { enrolmentPseudonymFor, recordIdFor } from './pseudonym.ts';
