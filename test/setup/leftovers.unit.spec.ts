import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { enterRun, leaveRun, type RunsDir } from './concurrent-runs.ts';
import { type Inventory, leftovers, type Protected, summaryLine } from './leftovers.ts';
import { productionNames } from './stack-inventory.ts';

const none: Protected = { topics: new Set(), groups: [], groupFamilies: [], otherTools: [] };
const inv = (topics: string[], groups: string[] = [], subjects: string[] = []): Inventory => ({ topics, groups, subjects });

describe('leftovers', () => {
  it('is what appeared during the run, sorted, and nothing that was there before', () => {
    const before = inv(['a', 'b'], ['g1'], ['a-value']);
    const after = inv(['b', 'z', 'c', 'a'], ['g2', 'g1'], ['c-value', 'a-value']);
    expect(leftovers(before, after, none)).toEqual(inv(['c', 'z'], ['g2'], ['c-value']));
  });

  it('leaves a subject alone whose topic was there before, though the registry did not list it then', () => {
    expect(leftovers(inv(['old'], [], []), inv(['old', 'new'], [], ['old-value', 'new-value', 'registry-only-value']), none)).toEqual(
      inv(['new'], [], ['new-value', 'registry-only-value']),
    );
  });

  it('leaves what disappeared during the run alone (nothing to delete)', () => {
    expect(leftovers(inv(['a']), inv([]), none)).toEqual(inv([]));
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
        'e2e-x.raw',
        'bench-1a2b3c4d.raw',
      ],
      [
        'ingest',
        'pseudonymise',
        'deliver-sbb-stagemarkt',
        'deliver-sbb-stagemarkt-writer',
        'e2e-x.ingest',
        'test-read-abc',
        'bench-1a2b3c4d.ingest',
        // tests' own names that start like a service's
        'ingest-mwx118kw-09c1ba.ingest',
        'deliver-rebuild-mwx0yg9p-5cda2b.fresh-sbb-stagemarkt',
      ],
      ['register.events.v1-value', 'recipient.svb-kostendelersnorm.v2-value', 'e2e-x.events-value', 'bench-1a2b3c4d.events-value'],
    );
    expect(leftovers(inv([]), after, protect)).toEqual(
      inv(
        ['e2e-x.raw', 'recipient.sbb-stagemarkt.v343604920'],
        ['deliver-rebuild-mwx0yg9p-5cda2b.fresh-sbb-stagemarkt', 'e2e-x.ingest', 'ingest-mwx118kw-09c1ba.ingest', 'test-read-abc'],
        ['e2e-x.events-value'],
      ),
    );
  });

  it('summarises counts and names what could not be removed', () => {
    expect(summaryLine({ deleted: inv(['a', 'b'], ['g'], []), failed: [] })).toBe(
      'test stack: removed what this run created: 2 topics, 1 consumer groups, 0 registry subjects',
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
