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

/**
 * What tests make: names built on uniqueName (<prefix>-<time in base 36>-<6 hex digits>, as in
 * e2e-mwx118kw-09c1ba.raw), the recipient topics of copied agreements (recipient.<id>.v<random number>),
 * and throwaway reader groups (<purpose>-<uuid>, which nobody resumes). Anything else that appeared during
 * a run on a shared stack is somebody's work in hand (a benchmark, a script, a person) and is left alone.
 */
const UNIQUE_NAME = /-[0-9a-z]{8}-[0-9a-f]{6}(?![0-9a-z])/;
const COPIED_RECIPIENT_TOPIC = /^recipient\.[a-z-]+\.v[0-9]{3,}$/;
const THROWAWAY_GROUP = /-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const testTopic = (name: string): boolean => UNIQUE_NAME.test(name) || COPIED_RECIPIENT_TOPIC.test(name);
const testMade = {
  topic: testTopic,
  subject: (name: string): boolean => testTopic(name.replace(/-(key|value)$/, '')),
  // the registry's own groups (apicurio-<uuid>) are its storage's readers
  group: (name: string): boolean => UNIQUE_NAME.test(name) || (THROWAWAY_GROUP.test(name) && !name.startsWith('apicurio-')),
};

export interface Leftovers {
  /** what appeared during the run and tests make: to remove, sorted */
  remove: Inventory;
  /** what appeared during the run and is not test-made: left alone, sorted */
  leftAlone: Inventory;
}

/**
 * Everything in `after` that was not in `before`, less Kafka's internals and the protected names, split
 * into what tests make (to remove) and the rest (left alone).
 */
export function leftovers(before: Inventory, after: Inventory, protect: Protected): Leftovers {
  const appeared = (was: string[], now: string[]): string[] => {
    const known = new Set(was);
    return now.filter((name) => !known.has(name)).sort();
  };
  const protectedSubjects = new Set([...protect.topics].flatMap(subjectsOf));
  const otherTool = (name: string) => protect.otherTools.some((prefix) => name.startsWith(prefix));
  const knownTopics = new Set(before.topics);
  const candidates: Inventory = {
    topics: appeared(before.topics, after.topics).filter((t) => !isInternalTopic(t) && !protect.topics.has(t) && !otherTool(t)),
    groups: appeared(before.groups, after.groups).filter((g) => !isProtectedGroup(g, protect) && !otherTool(g)),
    // nor the subjects of a topic that was there before: a registry that replays its storage after a restart
    // (kafkasql) lists only part of its subjects for a while, so an old subject can seem to have appeared
    subjects: appeared(before.subjects, after.subjects).filter(
      (s) => !protectedSubjects.has(s) && !otherTool(s) && !knownTopics.has(s.replace(/-(key|value)$/, '')),
    ),
  };
  return {
    remove: {
      topics: candidates.topics.filter(testMade.topic),
      groups: candidates.groups.filter(testMade.group),
      subjects: candidates.subjects.filter(testMade.subject),
    },
    leftAlone: {
      topics: candidates.topics.filter((t) => !testMade.topic(t)),
      groups: candidates.groups.filter((g) => !testMade.group(g)),
      subjects: candidates.subjects.filter((s) => !testMade.subject(s)),
    },
  };
}

export interface CleanupOutcome {
  deleted: Inventory;
  /** appeared during the run, but not test-made (see leftovers) */
  leftAlone?: Inventory;
  /** what could not be deleted, with the broker's or registry's reason; counted, never fatal */
  failed: { kind: 'topic' | 'group' | 'subject'; name: string; error: string }[];
}

/** One line for the end of a run: counts, what was left alone, and what could not be removed. */
export function summaryLine(outcome: CleanupOutcome): string {
  const { deleted, failed, leftAlone } = outcome;
  const count = (i: Inventory) => `${i.topics.length} topics, ${i.groups.length} consumer groups, ${i.subjects.length} registry subjects`;
  const alone = leftAlone ? leftAlone.topics.length + leftAlone.groups.length + leftAlone.subjects.length : 0;
  const aloneText =
    alone > 0
      ? `; left alone ${alone} names that appeared meanwhile and are not test-made (${leftAlone?.topics.slice(0, 3).join(', ') || 'groups and subjects'}${alone > 3 ? ', ...' : ''})`
      : '';
  if (failed.length === 0) return `test stack: removed what this run created: ${count(deleted)}${aloneText}`;
  const names = failed
    .slice(0, 5)
    .map((f) => `${f.kind} ${f.name} (${f.error})`)
    .join(', ');
  return `test stack: removed ${count(deleted)}${aloneText}; ${failed.length} could not be removed: ${names}${failed.length > 5 ? ', ...' : ''}`;
}
