export { parseCommand, USAGE } from './cli-options.ts';
export { type ExportOptions, exportTopic } from './commands/export.ts';
export { type ImportOptions, importFile } from './commands/import.ts';
export { type ReplayOptions, replayTopic } from './commands/replay.ts';
export { GroupActiveError, type ResetGroupOptions, resetGroup } from './commands/reset-group.ts';
export type { ReplayContext } from './context.ts';
export { decodeLine, type ExportedRecord, encodeLine } from './jsonl.ts';
export { findPersonData, isPersonNumber, PersonDataRefused } from './person-data.ts';
export { createRekeyer } from './rekey.ts';
