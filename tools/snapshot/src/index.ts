export * from './bitemporal.ts';
export * from './columns.ts';
export * from './history.ts';
export * from './jsonl.ts';
export * from './parquet.ts';
export * from './snapshot.ts';
