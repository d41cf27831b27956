import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { enterRun, leaveRun, type RunsDir } from './concurrent-runs.ts';
import { type Inventory, leftovers, type Protected, summaryLine } from './leftovers.ts';
import { productionNames } from './stack-inventory.ts';

const none: Protected = { topics: new Set(), groups: [], groupFamilies: [], otherTools: [] };
const inv = (topics: string[], groups: string[] = [], subjects: string[] = []): Inventory => ({ topics, groups, subjects });

// names as tests make them (uniqueName: <prefix>-<base-36 time>-<6 hex>) and as somebody else's work does
const T = (n: number) => `t${n}-mwx118kw-09c1b${n}`;
const UUID = '1f4804c6-ca37-4da7-bf3e-6b60736ad06f';

describe('leftovers', () => {
  it('is what appeared during the run, sorted, and nothing that was there before', () => {
    const before = inv([`${T(1)}.raw`, `${T(2)}.raw`], [`${T(1)}.g`], [`${T(1)}.raw-value`]);
    const after = inv(
      [`${T(2)}.raw`, `${T(9)}.raw`, `${T(3)}.raw`, `${T(1)}.raw`],
      [`${T(2)}.g`, `${T(1)}.g`],
      [`${T(3)}.raw-value`, `${T(1)}.raw-value`],
    );
    expect(leftovers(before, after, none).remove).toEqual(inv([`${T(3)}.raw`, `${T(9)}.raw`], [`${T(2)}.g`], [`${T(3)}.raw-value`]));
  });

  it('removes only what tests make; what else appeared meanwhile is left alone and counted', () => {
    const after = inv(
      [`${T(1)}.raw`, 's2-manual-1795664954.audit', 'recipient.svb-kostendelersnorm.v343604920'],
      [`test-read-${UUID}`, `ingest-seen-${UUID}`, `apicurio-${UUID}`, 'kip447-group', `${T(1)}.ingest`],
      [`${T(1)}.raw-value`, 's2-manual-1795664954.audit-value'],
    );
    expect(leftovers(inv([]), after, none)).toEqual({
      remove: inv(
        ['recipient.svb-kostendelersnorm.v343604920', `${T(1)}.raw`],
        [`ingest-seen-${UUID}`, `${T(1)}.ingest`, `test-read-${UUID}`],
        [`${T(1)}.raw-value`],
      ),
      leftAlone: inv(['s2-manual-1795664954.audit'], [`apicurio-${UUID}`, 'kip447-group'], ['s2-manual-1795664954.audit-value']),
    });
  });

  it('leaves a subject alone whose topic was there before, though the registry did not list it then', () => {
    const before = inv([`${T(1)}.old`], [], []);
    const after = inv([`${T(1)}.old`, `${T(1)}.new`], [], [`${T(1)}.old-value`, `${T(1)}.new-value`, `${T(2)}.registry-only-value`]);
    expect(leftovers(before, after, none).remove).toEqual(inv([`${T(1)}.new`], [], [`${T(1)}.new-value`, `${T(2)}.registry-only-value`]));
  });

  it('leaves what disappeared during the run alone (nothing to delete)', () => {
    expect(leftovers(inv([`${T(1)}.raw`]), inv([]), none).remove).toEqual(inv([]));
  });

  it("never takes Kafka's own topics, the production names or a benchmark's, even when they appeared during the run", () => {
    const protect = productionNames(join(import.meta.dirname, '../..'));
    const after = inv(
      [
        '__consumer_offsets',
        '_schemas',
        'register.raw.v1',
        'recipient.sbb-stagemarkt.v2',
        'recipient.sbb-stagemarkt.v343604920',
        'e2e-mwx118kw-09c1ba.raw',
        'bench-1a2b3c4d.raw',
      ],
      [
        'ingest',
        'pseudonymise',
        'deliver-sbb-stagemarkt',
        'deliver-sbb-stagemarkt-writer',
        `deliver-sbb-stagemarkt-replica-${UUID}`,
        `bench-1a2b3c4d-plain-${UUID}`,
        // tests' own names that start like a service's
        'ingest-mwx118kw-09c1ba.ingest',
        'deliver-rebuild-mwx0yg9p-5cda2b.fresh-sbb-stagemarkt',
      ],
      [
        'register.events.v1-value',
        'recipient.svb-kostendelersnorm.v2-value',
        'e2e-mwx118kw-09c1ba.events-value',
        'bench-1a2b3c4d-7.events-value',
      ],
    );
    expect(leftovers(inv([]), after, protect).remove).toEqual(
      inv(
        ['e2e-mwx118kw-09c1ba.raw', 'recipient.sbb-stagemarkt.v343604920'],
        ['deliver-rebuild-mwx0yg9p-5cda2b.fresh-sbb-stagemarkt', 'ingest-mwx118kw-09c1ba.ingest'],
        ['e2e-mwx118kw-09c1ba.events-value'],
      ),
    );
  });

  it('summarises counts, what was left alone, and what could not be removed', () => {
    expect(summaryLine({ deleted: inv(['a', 'b'], ['g'], []), failed: [] })).toBe(
      'test stack: removed what this run created: 2 topics, 1 consumer groups, 0 registry subjects',
    );
    expect(summaryLine({ deleted: inv(['a']), leftAlone: inv(['s2-manual.audit']), failed: [] })).toMatch(
      /left alone 1 names that appeared meanwhile and are not test-made \(s2-manual.audit\)/,
    );
    expect(summaryLine({ deleted: inv([]), failed: [{ kind: 'group', name: 'g', error: 'NON_EMPTY_GROUP' }] })).toMatch(
      /1 could not be removed: group g \(NON_EMPTY_GROUP\)/,
    );
  });
});

describe('runs sharing a stack', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const alive = new Set<number>();
  const runs = (pid: number): RunsDir => ({ dir, pid, isAlive: (p) => alive.has(p) });

  it('the last run out cleans up against the first run in’s baseline', () => {
    dir = mkdtempSync(join(tmpdir(), 'runs-'));
    alive.clear();
    alive.add(1).add(2);
    expect(enterRun(runs(1), inv(['before'])).first).toBe(true);
    expect(enterRun(runs(2), inv(['before', 'of-run-1'])).first).toBe(false);
    alive.delete(1);
    expect(leaveRun(runs(1))).toEqual({ baseline: undefined, stillRunning: 1 });
    alive.delete(2);
    expect(leaveRun(runs(2))).toEqual({ baseline: inv(['before']), stillRunning: 0 });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a run killed without its teardown neither blocks the cleanup nor lends its stale baseline', () => {
    dir = mkdtempSync(join(tmpdir(), 'runs-'));
    alive.clear();
    enterRun(runs(7), inv(['stale']));
    // pid 7 is not alive: the next run is the first in and the last out
    alive.add(8);
    expect(enterRun(runs(8), inv(['fresh'])).first).toBe(true);
    expect(leaveRun(runs(8))).toEqual({ baseline: inv(['fresh']), stillRunning: 0 });
  });
});
