import { commonSettings, type Setting } from '@register-feeds/service-kit';

/** Everything deliver reads from its environment; validated once in main.ts. */
export const settings = {
  ...commonSettings,
} satisfies Record<string, Setting<unknown>>;
