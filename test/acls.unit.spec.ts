import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { toEpochDay } from '@register-feeds/register-model';
import { topics } from '@register-feeds/service-kit';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  type Acl,
  type AclBinding,
  type AclInputs,
  aclCommands,
  aclDay,
  aclsFor,
  bindingOf,
  describeBinding,
  diffAcls,
  loadAclInputs,
  principalsOf,
  summaryLine,
  termState,
} from '../stack/acls.ts';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

// The ACL list of stack/acls.ts, derived from the real agreements and deliver's projections file: what
// each principal may do, checked as rules rather than as a copy of the list. The broker enforcing them is
// test/acl.int.spec.ts.

const root = resolve(import.meta.dirname, '..');
const inputs = loadAclInputs(root);
const acls = aclsFor(inputs);
const of = (principal: string) => acls.filter((a) => a.principal === principal);
const topicsWith = (principal: string, operation: Acl['operation']) =>
  of(principal)
    .filter((a) => a.resource === 'topic' && a.operation === operation)
    .map((a) => (a.prefixed ? `${a.name}*` : a.name))
    .sort();

describe('stack/acls.ts', () => {
  it('has a principal per service and per agreement', () => {
    expect(principalsOf(inputs)).toEqual([
      'ingest',
      'pseudonymise',
      'deliver',
      'replay',
      'register',
      'ggd-jeugdgezondheid',
      'inspectie-onderwijs',
      'ocw-minister',
      'sbb-stagemarkt',
      'svb-kostendelersnorm',
    ]);
  });

  it('lets each recipient read its own topic and feed, and do nothing else', () => {
    for (const r of inputs.recipients) {
      expect(topicsWith(r.id, 'read'), r.id).toEqual([r.topic, ...(r.feed ? [r.feed] : [])].sort());
      expect(
        of(r.id).every((a) => a.operation === 'read'),
        r.id,
      ).toBe(true);
      // its groups: its id, or its id and a dot (ids have no dots, so no other recipient's groups match)
      const groups = of(r.id).filter((a) => a.resource === 'group');
      expect(groups.map((g) => `${g.name}${g.prefixed ? '*' : ''}`).sort()).toEqual([r.id, `${r.id}.*`]);
      for (const other of inputs.recipients.filter((o) => o.id !== r.id)) {
        expect(groups.some((g) => (g.prefixed ? other.id.startsWith(g.name) : other.id === g.name))).toBe(false);
      }
    }
    // the feeds are those of the recipients deliver projects, named <prefix><recipient>.v1
    expect(inputs.recipients.filter((r) => r.feed).map((r) => r.feed)).toEqual([
      'feed.ggd-jeugdgezondheid.v1',
      'feed.sbb-stagemarkt.v1',
      'feed.svb-kostendelersnorm.v1',
    ]);
  });

  it('lets each service write only what it produces', () => {
    const recipientTopics = inputs.recipients.map((r) => r.topic);
    expect(topicsWith('ingest', 'write')).toEqual([topics.events.name, topics.ingestSeen.name, topics.rawDeadLetter.name].sort());
    expect(topicsWith('pseudonymise', 'write')).toEqual([topics.audit.name, topics.eventsDeadLetter.name, ...recipientTopics].sort());
    expect(topicsWith('pseudonymise', 'read')).toEqual([topics.events.name]);
    expect(topicsWith('deliver', 'write')).toEqual(
      [topics.deliverDeadLetter.name, inputs.leaseTopic, ...inputs.recipients.flatMap((r) => (r.feed ? [r.feed] : []))].sort(),
    );
    for (const topic of recipientTopics) {
      expect(topicsWith('deliver', 'write')).not.toContain(topic);
      expect(topicsWith('ingest', 'read')).not.toContain(topic);
    }
    expect(topicsWith('replay', 'write')).toEqual([topics.raw.name, 'replay.*']);
    // the raw topic is written by the register (and replay's import) only; pseudonymise in particular not
    expect(acls.filter((a) => a.name === topics.raw.name && a.operation === 'write').map((a) => a.principal)).toEqual([
      'replay',
      'register',
    ]);
    expect(of('register').map((a) => `${a.operation} ${a.name}`)).toEqual([`write ${topics.raw.name}`, 'idempotent-write kafka-cluster']);
  });

  it('turns a new agreement into a principal that reads its own topic only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'acl-agreements-'));
    try {
      cpSync(join(root, 'agreements'), dir, { recursive: true });
      writeFileSync(
        join(dir, 'newcomer.yaml'),
        'recipient: newcomer\nterm:\n  from: 2025-08-01\n  to: null\noutput:\n  topic: recipient.newcomer.v1\n',
      );
      const withNewcomer = aclsFor(loadAclInputs(root, { AGREEMENTS_DIR: dir }));
      const newcomer = withNewcomer.filter((a) => a.principal === 'newcomer' && a.resource === 'topic');
      expect(newcomer.map((a) => `${a.operation} ${a.name}`)).toEqual(['read recipient.newcomer.v1']);
      // pseudonymise may now write it
      expect(
        withNewcomer.some((a) => a.principal === 'pseudonymise' && a.operation === 'write' && a.name === 'recipient.newcomer.v1'),
      ).toBe(true);

      writeFileSync(join(dir, 'bad.yaml'), 'recipient: ingest\nterm:\n  from: 2025-08-01\n  to: null\noutput:\n  topic: recipient.x.v1\n');
      expect(() => loadAclInputs(root, { AGREEMENTS_DIR: dir })).toThrow(/a service's principal/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints one kafka-acls.sh command per principal and resource', () => {
    const commands = aclCommands(acls);
    expect(commands.length).toBeLessThan(acls.length);
    expect(commands).toContain(
      `kafka-acls.sh --bootstrap-server "$KAFKA_BROKERS" --command-config admin.properties --add --allow-principal User:sbb-stagemarkt --operation Read --topic 'recipient.sbb-stagemarkt.v2'`,
    );
    expect(commands).toContain(
      `kafka-acls.sh --bootstrap-server "$KAFKA_BROKERS" --command-config admin.properties --add --allow-principal User:deliver --operation Write --transactional-id 'deliver-' --resource-pattern-type prefixed`,
    );
  });

  const SVB = 'svb-kostendelersnorm';
  const GGD = 'ggd-jeugdgezondheid';
  /** The real inputs on `today`, with the SVB's agreement ending on `to`. */
  const svbEnding = (to: string, today: string): AclInputs => ({
    ...inputs,
    today: toEpochDay(today),
    recipients: inputs.recipients.map((r) => (r.id === SVB ? { ...r, term: { from: r.term.from, to: toEpochDay(to) } } : r)),
  });
  const svb = inputs.recipients.find((r) => r.id === SVB);
  const readsOf = (set: Acl[], principal: string) =>
    set
      .filter((a) => a.principal === principal)
      .map((a) => `${a.resource} ${a.name}`)
      .sort();

  it('gives a recipient whose agreement has ended no ACL at all, and leaves the others theirs', () => {
    expect(svb?.feed).toBe('feed.svb-kostendelersnorm.v1'); // so its feed is checked too
    const ended = svbEnding('2026-06-30', '2026-07-01');
    const acls = aclsFor(ended);
    expect(acls.filter((a) => a.principal === SVB)).toEqual([]);
    expect(acls.filter((a) => a.name === svb?.topic || a.name === svb?.feed).map((a) => a.principal)).not.toContain(SVB);
    // no longer a principal to make credentials for
    expect(principalsOf(ended)).not.toContain(SVB);
    // a running agreement keeps exactly its own
    expect(readsOf(acls, GGD)).toEqual(readsOf(aclsFor(inputs), GGD));
    expect(readsOf(acls, GGD)).toContain('topic recipient.ggd-jeugdgezondheid.v2');
    // the services keep the ended agreement's topic and feed: pseudonymise still makes every agreement's topic
    expect(acls.filter((a) => a.principal !== SVB)).toEqual(aclsFor(inputs).filter((a) => a.principal !== SVB));
  });

  it('keeps a recipient’s ACLs through the last day of its term (Amsterdam calendar day), and none before the first', () => {
    const lastDay = aclsFor(svbEnding('2026-06-30', '2026-06-30'));
    expect(readsOf(lastDay, SVB)).toEqual([
      'group svb-kostendelersnorm',
      'group svb-kostendelersnorm.',
      'topic feed.svb-kostendelersnorm.v1',
      'topic recipient.svb-kostendelersnorm.v2',
    ]);
    expect(termState({ from: toEpochDay('2026-01-01'), to: toEpochDay('2026-06-30') }, toEpochDay('2026-06-30'))).toBe('running');
    expect(termState({ from: toEpochDay('2026-01-01'), to: toEpochDay('2026-06-30') }, toEpochDay('2026-07-01'))).toBe('ended');
    expect(termState({ from: toEpochDay('2026-01-01'), to: null }, toEpochDay('2099-01-01'))).toBe('running');
    // not started yet: a credential may be made ahead (a principal), but it reads nothing until term.from
    const notYet: AclInputs = {
      ...inputs,
      today: toEpochDay('2026-08-31'),
      recipients: inputs.recipients.map((r) => (r.id === SVB ? { ...r, term: { from: toEpochDay('2026-09-01'), to: null } } : r)),
    };
    expect(termState(notYet.recipients.find((r) => r.id === SVB)?.term ?? { from: 0, to: null }, notYet.today)).toBe('not-started');
    expect(readsOf(aclsFor(notYet), SVB)).toEqual([]);
    expect(principalsOf(notYet)).toContain(SVB);
    expect(readsOf(aclsFor({ ...notYet, today: toEpochDay('2026-09-01') }), SVB)).toHaveLength(4);
  });

  it('reads the term from the agreement and the day from --today, ACLS_TODAY or the Amsterdam clock', () => {
    const dir = mkdtempSync(join(tmpdir(), 'acl-agreements-'));
    try {
      cpSync(join(root, 'agreements'), dir, { recursive: true });
      const agreement = (term: string) =>
        writeFileSync(join(dir, 'ending.yaml'), `recipient: ending\nterm:\n${term}\noutput:\n  topic: recipient.ending.v1\n`);
      agreement('  from: 2026-01-01\n  to: 2026-03-31');
      const on = (day: string) => readsOf(aclsFor(loadAclInputs(root, { AGREEMENTS_DIR: dir, ACLS_TODAY: day })), 'ending');
      expect(on('2026-03-31')).toContain('topic recipient.ending.v1');
      expect(on('2026-04-01')).toEqual([]);
      expect(on('2025-12-31')).toEqual([]);
      expect(loadAclInputs(root, { AGREEMENTS_DIR: dir }, toEpochDay('2026-04-01')).today).toBe(toEpochDay('2026-04-01'));

      expect(aclDay('2026-04-01', { ACLS_TODAY: '2020-01-01' })).toBe(toEpochDay('2026-04-01'));
      expect(aclDay(undefined, { ACLS_TODAY: '2020-01-01' })).toBe(toEpochDay('2020-01-01'));
      expect(() => aclDay('2026-02-30', {})).toThrow('--today: expected an existing date YYYY-MM-DD');
      expect(() => aclDay(undefined, { ACLS_TODAY: 'tomorrow' })).toThrow('ACLS_TODAY: expected an existing date YYYY-MM-DD');
      const nowInAmsterdam = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam' }).format(new Date());
      expect(aclDay(undefined, {})).toBe(toEpochDay(nowInAmsterdam));

      agreement('  from: 2026-01-01');
      expect(() => loadAclInputs(root, { AGREEMENTS_DIR: dir })).toThrow('ending.yaml term.to (or null): expected an existing date');
      agreement('  from: 2026-04-01\n  to: 2026-03-31');
      expect(() => loadAclInputs(root, { AGREEMENTS_DIR: dir })).toThrow('ending.yaml: term.to is before term.from');
      writeFileSync(join(dir, 'ending.yaml'), 'recipient: ending\noutput:\n  topic: recipient.ending.v1\n');
      expect(() => loadAclInputs(root, { AGREEMENTS_DIR: dir })).toThrow('ending.yaml: expected term.from and term.to');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('diffAcls (what apply changes on the broker)', () => {
    const desired = aclsFor(inputs).map(bindingOf);
    const admin: AclBinding = {
      principal: 'User:admin',
      resourceType: AclResourceTypes.TOPIC,
      resourceName: 'anything',
      resourcePatternType: ResourcePatternTypes.LITERAL,
      operation: AclOperationTypes.ALL,
      permissionType: AclPermissionTypes.ALLOW,
      host: '*',
    };

    it('adds what is missing, removes what is not derived, and never touches the super user’s', () => {
      const stale = aclsFor(svbEnding('2099-12-31', '2026-07-01')).map(bindingOf); // the SVB still reading
      const ended = aclsFor(svbEnding('2026-06-30', '2026-07-01')).map(bindingOf);
      const gone = stale.filter((b) => b.principal === `User:${SVB}`);
      expect(gone).toHaveLength(4);
      const byHand = {
        ...bindingOf({ principal: 'someone', resource: 'topic', name: 'register.raw.v1', prefixed: false, operation: 'read' }),
      };
      const deny = { ...desired[0], permissionType: AclPermissionTypes.DENY } as AclBinding;
      const fromHost = { ...desired[0], host: '10.0.0.1' } as AclBinding;
      const current = [...stale, admin, byHand, deny, fromHost];

      const diff = diffAcls(current, ended);
      expect(diff.remove.map(describeBinding).sort()).toEqual([...gone, byHand, deny, fromHost].map(describeBinding).sort());
      expect(diff.remove).not.toContainEqual(admin);
      expect(diff.add).toEqual([]);
      expect(diff.unchanged).toBe(ended.length);

      // an empty broker: everything is added, nothing removed
      expect(diffAcls([], desired)).toEqual({ add: desired, remove: [], unchanged: 0 });
      // some missing: only those
      const missing = desired.filter((b) => b.principal === `User:${GGD}`);
      expect(
        diffAcls(
          desired.filter((b) => !missing.includes(b)),
          desired,
        ).add,
      ).toEqual(missing);
      // applied: a second apply changes nothing (the super user's ACLs are not counted, nor removed)
      expect(diffAcls([...desired, admin], desired)).toEqual({ add: [], remove: [], unchanged: desired.length });
      // another super user may be named; then the former admin's ACLs go too
      expect(diffAcls([admin], [], 'User:root').remove).toEqual([admin]);
    });

    it('ends with a summary: the day, the changes, the size of the derived set', () => {
      const acls = aclsFor(inputs);
      const diff = { add: desired.slice(0, 2), remove: desired.slice(0, 1), unchanged: 7 };
      const principals = new Set(acls.map((a) => a.principal)).size;
      expect(summaryLine(diff, acls, toEpochDay('2026-06-01'), false)).toBe(
        `ACLs for 2026-06-01: 2 added, 1 removed, 7 unchanged; ${acls.length} ACLs for ${principals} principals`,
      );
      expect(summaryLine(diff, acls, toEpochDay('2026-06-01'), true)).toBe(
        `ACLs for 2026-06-01 (dry run, nothing changed): 2 to add, 1 to remove, 7 unchanged; ${acls.length} ACLs for ${principals} principals`,
      );
    });

    it('says what changes in one line: principal, resource, operation', () => {
      expect(describeBinding(bindingOf({ principal: SVB, resource: 'topic', name: 'feed.x.v1', prefixed: false, operation: 'read' }))).toBe(
        "User:svb-kostendelersnorm Topic 'feed.x.v1' Read",
      );
      expect(
        describeBinding(
          bindingOf({ principal: 'deliver', resource: 'transactional-id', name: 'deliver-', prefixed: true, operation: 'write' }),
        ),
      ).toBe("User:deliver TransactionalId 'deliver-' (Prefixed) Write");
      expect(describeBinding({ ...admin, principal: 'User:x', permissionType: AclPermissionTypes.DENY, host: '10.0.0.1' })).toBe(
        "User:x Topic 'anything' All Deny from host 10.0.0.1",
      );
      expect(
        describeBinding(
          bindingOf({ principal: 'ingest', resource: 'cluster', name: 'kafka-cluster', prefixed: false, operation: 'idempotent-write' }),
        ),
      ).toBe("User:ingest Cluster 'kafka-cluster' IdempotentWrite");
    });
  });
});
