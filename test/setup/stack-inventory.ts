import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { topics as catalogue } from '@register-feeds/service-kit';
import { Kafka, logLevel } from 'kafkajs';
import type { CleanupOutcome, Inventory, Protected } from './leftovers.ts';

/**
 * The Kafka and registry side of the cleanup: list a stack's topics, consumer groups and subjects, and
 * delete the ones a run left behind. kafkajs directly, because the services' Admin has no use for groups.
 */

function kafkaOf(brokers: string): Kafka {
  return new Kafka({ clientId: 'test-cleanup', brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 3 } });
}

async function registryJson(url: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${new URL(url).pathname}: HTTP ${response.status}`);
  return response.json();
}

export async function inventoryOf(brokers: string, registryUrl: string): Promise<Inventory> {
  const admin = kafkaOf(brokers).admin();
  await admin.connect();
  try {
    const [topics, { groups }, subjects] = await Promise.all([
      admin.listTopics(),
      admin.listGroups(),
      registryJson(`${registryUrl}/subjects`) as Promise<string[]>,
    ]);
    return { topics, groups: groups.map((g) => g.groupId), subjects };
  } finally {
    await admin.disconnect();
  }
}

/**
 * The production names: the topic catalogue's, the output topics of the repository's agreements, and the
 * services' consumer groups (ingest, pseudonymise, deliver-<recipient> and its -writer). Exact, not by
 * prefix: tests name their own things ingest-..., deliver-rebuild-... and so on.
 */
export function productionNames(repoRoot: string): Protected {
  const dir = join(repoRoot, 'agreements');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  const agreementTopics = files.flatMap((f) =>
    [...readFileSync(join(dir, f), 'utf8').matchAll(/^\s*topic:\s*(recipient\.[a-z-]+\.v\d+)\s*$/gm)].map((m) => m[1]!),
  );
  const recipients = files.map((f) => f.slice(0, -'.yaml'.length));
  return {
    topics: new Set([...Object.values(catalogue).map((t) => t.name), ...agreementTopics]),
    groups: ['ingest', 'pseudonymise'],
    groupFamilies: recipients.map((r) => `deliver-${r}`),
    // a benchmark running meanwhile removes its own (bench/support: bench-<run>.raw and so on)
    otherTools: ['bench-'],
  };
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 120);

export async function removeLeftovers(brokers: string, registryUrl: string, left: Inventory): Promise<CleanupOutcome> {
  const failed: CleanupOutcome['failed'] = [];
  const admin = kafkaOf(brokers).admin();
  await admin.connect();
  try {
    if (left.groups.length > 0) {
      try {
        await admin.deleteGroups(left.groups);
      } catch (error) {
        // kafkajs throws once for the lot and lists the groups that failed (e.g. a consumer still in it)
        type GroupResult = { groupId: string; error?: unknown; errorCode?: number };
        const groups = (error as { groups?: GroupResult[] }).groups;
        for (const g of groups ?? left.groups.map((groupId): GroupResult => ({ groupId, error }))) {
          if (g.error || (g.errorCode ?? 0) !== 0) failed.push({ kind: 'group', name: g.groupId, error: message(g.error ?? g.errorCode) });
        }
      }
    }
    if (left.topics.length > 0) {
      await admin.deleteTopics({ topics: left.topics, timeout: 30_000 }).catch((error: unknown) => {
        for (const name of left.topics) failed.push({ kind: 'topic', name, error: message(error) });
      });
    }
  } finally {
    await admin.disconnect();
  }
  for (const subject of left.subjects) {
    const at = `${registryUrl}/subjects/${encodeURIComponent(subject)}`;
    try {
      // a soft delete first: the registry refuses a permanent delete of a subject that is not soft-deleted
      await registryJson(at, { method: 'DELETE' });
      await registryJson(`${at}?permanent=true`, { method: 'DELETE' });
    } catch (error) {
      failed.push({ kind: 'subject', name: subject, error: message(error) });
    }
  }
  const failedNames = new Set(failed.map((f) => `${f.kind}:${f.name}`));
  const kept = (kind: string, names: string[]) => names.filter((n) => !failedNames.has(`${kind}:${n}`));
  return {
    deleted: { topics: kept('topic', left.topics), groups: kept('group', left.groups), subjects: kept('subject', left.subjects) },
    failed,
  };
}
