/**
 * What a test run left behind in a stack it did not start, as pure set arithmetic: the stack's topics,
 * consumer groups and registry subjects before the run and after it, less what must never be touched
 * (Kafka's own topics, and the names the services use in production, in case `npm start` ran meanwhile).
 */

export interface Inventory {
  topics: string[];
  groups: string[];
  subjects: string[];
}

/** Names a cleanup leaves alone even when they appeared during the run. */
export interface Protected {
  topics: ReadonlySet<string>;
  /** the services' own consumer groups, by exact name */
  groups: readonly string[];
  /** the services' groups that come in families: these names, and these followed by '-' and more */
  groupFamilies: readonly string[];
  /** topics, groups and subjects of other tools that may run meanwhile (benchmarks: bench-<run>...) */
  otherTools: readonly string[];
}

/** Names shaped like production topics; tests must never create them (uniqueName refuses such prefixes). */
export const PRODUCTION_TOPIC_SHAPE = /^(recipient|register|feed|audit)\./;

/** The registry subjects of a topic (TopicNameStrategy). */
export const subjectsOf = (topic: string): string[] => [`${topic}-key`, `${topic}-value`];

const isInternalTopic = (name: string): boolean => name.startsWith('_');

function isProtectedGroup(name: string, { groups, groupFamilies }: Protected): boolean {
  return groups.includes(name) || groupFamilies.some((g) => name === g || name.startsWith(`${g}-`));
}

/** Everything in `after` that was not in `before`, less Kafka's internals and the protected names, sorted. */
export function leftovers(before: Inventory, after: Inventory, protect: Protected): Inventory {
  const appeared = (was: string[], now: string[]): string[] => {
    const known = new Set(was);
    return now.filter((name) => !known.has(name)).sort();
  };
  const protectedSubjects = new Set([...protect.topics].flatMap(subjectsOf));
  const otherTool = (name: string) => protect.otherTools.some((prefix) => name.startsWith(prefix));
  const knownTopics = new Set(before.topics);
  return {
    topics: appeared(before.topics, after.topics).filter((t) => !isInternalTopic(t) && !protect.topics.has(t) && !otherTool(t)),
    groups: appeared(before.groups, after.groups).filter((g) => !isProtectedGroup(g, protect) && !otherTool(g)),
    // nor the subjects of a topic that was there before: a registry that replays its storage after a restart
    // (kafkasql) lists only part of its subjects for a while, so an old subject can seem to have appeared
    subjects: appeared(before.subjects, after.subjects).filter(
      (s) => !protectedSubjects.has(s) && !otherTool(s) && !knownTopics.has(s.replace(/-(key|value)$/, '')),
    ),
  };
}

export interface CleanupOutcome {
  deleted: Inventory;
  /** what could not be deleted, with the broker's or registry's reason; counted, never fatal */
  failed: { kind: 'topic' | 'group' | 'subject'; name: string; error: string }[];
}

/** One line for the end of a run: counts, and how many could not be removed. */
export function summaryLine(outcome: CleanupOutcome): string {
  const { deleted, failed } = outcome;
  const counts = `${deleted.topics.length} topics, ${deleted.groups.length} consumer groups, ${deleted.subjects.length} registry subjects`;
  if (failed.length === 0) return `test stack: removed what this run created: ${counts}`;
  const names = failed
    .slice(0, 5)
    .map((f) => `${f.kind} ${f.name} (${f.error})`)
    .join(', ');
  return `test stack: removed ${counts}; ${failed.length} could not be removed: ${names}${failed.length > 5 ? ', ...' : ''}`;
}
