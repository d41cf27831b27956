/**
 * The key file as a running service sees it: read again whenever it changes on disk, so `npm run keys --
 * retire <recipient>` (crypto-shredding) takes effect in a running pseudonymise at its next batch, without
 * a restart. Every read also drops the keys of agreements whose term has ended. When the file is gone or
 * unreadable, current() throws: the batch is not handled (it is retried), rather than go on with keys that
 * may have been retired.
 */

import { readFileSync, statSync } from 'node:fs';
import type { Agreement } from './agreement.ts';
import { retireEndedAgreements } from './key-lifecycle.ts';
import { KeyFileError, type KeyStore, parseKeyFile } from './keys.ts';

export interface KeySource {
  /** the keys to use now */
  current(): KeyStore;
}

/** A fixed store (tests, benchmarks). */
export function fixedKeys(store: KeyStore): KeySource {
  return { current: () => store };
}

export interface KeyFileSourceOptions {
  path: string;
  agreements: readonly Agreement[];
  clock?: () => number;
  /** told the recipients that have a usable key after each (re)load; never a secret */
  onLoad?: (withKey: string[], retiredByTerm: string[]) => void;
}

export function keyFileSource({ path, agreements, clock = Date.now, onLoad }: KeyFileSourceOptions): KeySource {
  let seen = '';
  let store: KeyStore | undefined;
  return {
    current() {
      let stamp: string;
      try {
        const stat = statSync(path);
        stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
      } catch {
        throw new KeyFileError('key file: cannot be read any more; not delivering until it can');
      }
      if (stamp !== seen || store === undefined) {
        const { keys, retired } = retireEndedAgreements(parseKeyFile(readFileSync(path, 'utf8')), agreements, clock());
        store = keys;
        seen = stamp;
        onLoad?.(keys.recipients(), retired);
      }
      return store;
    },
  };
}
