import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { topics } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { type Acl, aclCommands, aclsFor, loadAclInputs, principalsOf } from '../stack/acls.ts';

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
      writeFileSync(join(dir, 'newcomer.yaml'), 'recipient: newcomer\noutput:\n  topic: recipient.newcomer.v1\n');
      const withNewcomer = aclsFor(loadAclInputs(root, { AGREEMENTS_DIR: dir }));
      const newcomer = withNewcomer.filter((a) => a.principal === 'newcomer' && a.resource === 'topic');
      expect(newcomer.map((a) => `${a.operation} ${a.name}`)).toEqual(['read recipient.newcomer.v1']);
      // pseudonymise may now write it
      expect(
        withNewcomer.some((a) => a.principal === 'pseudonymise' && a.operation === 'write' && a.name === 'recipient.newcomer.v1'),
      ).toBe(true);

      writeFileSync(join(dir, 'bad.yaml'), 'recipient: ingest\noutput:\n  topic: recipient.x.v1\n');
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
});
