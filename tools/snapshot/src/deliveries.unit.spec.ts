import { createKeyStore, loadAgreements } from '@register-feeds/pseudonymise';
import { toEpochDay } from '@register-feeds/register-model';
import { topicClass } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { snapshotAuditEntry } from './audit-entry.ts';
import { type DeliveriesContext, deliver, deliveryFile, snapshotTopicName } from './deliveries.ts';
import { dueDeliveries } from './schedule.ts';

const minister = loadAgreements(new URL('../../../agreements/', import.meta.url).pathname).find((a) => a.recipient === 'ocw-minister')!;
const [november] = dueDeliveries([{ ...minister, term: { from: toEpochDay('2026-09-01'), to: null } }], Date.parse('2026-11-20T12:00:00Z'));
const delivery = november!;

describe('where a delivery goes', () => {
  it('given a delivery, then its file and topic follow from its id alone: the same id, the same path', () => {
    expect(delivery.id).toBe('ocw-minister/2026-10-01/2026-11-15');
    expect(deliveryFile(delivery, 'parquet')).toBe('ocw-minister/2026-10-01/2026-11-15.parquet');
    expect(deliveryFile(delivery, 'jsonl')).toBe('ocw-minister/2026-10-01/2026-11-15.jsonl');
    expect(snapshotTopicName(delivery)).toBe('snapshot.ocw-minister.2026-10-01.2026-11-15');
    expect(topicClass(snapshotTopicName(delivery))).toBe('recipient');
    expect(snapshotTopicName(delivery, 'test-x.snapshot.')).toBe('test-x.snapshot.ocw-minister.2026-10-01.2026-11-15');
  });
});

describe('the audit entry of a snapshot delivery', () => {
  const snapshot = {
    format: 'parquet',
    file: deliveryFile(delivery, 'parquet'),
    rows: 3,
    bytes: 1234,
    sha256: 'ab'.repeat(32),
    columns: [{ name: 'peildatum' }, { name: 'persoon_pseudonym' }, { name: 'inschrijving_brin' }],
    historyTopic: 'register.events.v1',
    historyEnds: [
      { partition: 0, offset: '10' },
      { partition: 1, offset: '7' },
    ],
  };
  const made = { keyVersion: 'v3', deliveredAt: Date.parse('2026-11-20T12:00:00Z'), snapshotTopic: null };

  it('given a delivery, then it says who got what, on which legal basis and purpose, when, of which peildatum and knowledge time', () => {
    expect(snapshotAuditEntry(delivery, minister, snapshot, made)).toEqual({
      deliveryId: 'ocw-minister/2026-10-01/2026-11-15',
      recipient: 'ocw-minister',
      legalBasis: minister.legalBasis,
      purpose: minister.purpose,
      agreementTermFrom: '2025-08-01',
      kind: 'provisional',
      peildatum: '2026-10-01',
      deliveryDate: '2026-11-15',
      knownAt: Date.parse('2026-11-14T23:00:00Z'),
      deliveredAt: made.deliveredAt,
      format: 'parquet',
      file: 'ocw-minister/2026-10-01/2026-11-15.parquet',
      rows: 3,
      bytes: 1234,
      sha256: 'ab'.repeat(32),
      fieldsSent: ['peildatum', 'persoon_pseudonym', 'inschrijving_brin'],
      identity: 'pseudonym',
      keyVersion: 'v3',
      snapshotTopic: null,
      historyTopic: 'register.events.v1',
      historyEnds: [
        { partition: 0, offset: 10 },
        { partition: 1, offset: 7 },
      ],
    });
  });

  it('given an agreement of another recipient, then no entry is made', () => {
    expect(() => snapshotAuditEntry(delivery, { ...minister, recipient: 'inspectie-onderwijs' }, snapshot, made)).toThrow(
      /not for inspectie-onderwijs/,
    );
  });
});

describe('a delivery that cannot be made', () => {
  // nothing may be asked of Kafka before the key is found: every use of the bus fails the test
  const untouchable = new Proxy({}, { get: (_, name) => () => Promise.reject(new Error(`Kafka was used: ${String(name)}`)) });
  const ctx = {
    bus: untouchable,
    admin: untouchable,
    registry: untouchable,
    agreements: [minister],
    keys: createKeyStore({}),
    outDir: '/nonexistent',
    format: 'jsonl',
    historyTopic: 'h',
    auditTopic: 'a',
    snapshotTopics: false,
    replicationFactor: 1,
    transactionalIdPrefix: 't',
    clock: () => 0,
  } as unknown as DeliveriesContext;

  it('given no key for the recipient, then it fails with what to fix, before claiming or reading anything', async () => {
    expect(await deliver(ctx, delivery, 1)).toEqual({
      status: 'failed',
      delivery,
      reason: 'no key for ocw-minister in the key file: nothing about a person goes out without it',
    });
  });

  it('given no agreement for the recipient, then it fails naming the recipient', async () => {
    expect(await deliver({ ...ctx, agreements: [] }, delivery, 1)).toMatchObject({
      status: 'failed',
      reason: 'no agreement for ocw-minister',
    });
  });
});
