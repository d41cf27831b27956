export * from './age.ts';
export * from './amsterdam-date.ts';
export * from './calendar.ts';
export * from './register-event.ts';
export * from './vocabulary.ts';
