import { loadAgreements, recipientSchema } from '@register-feeds/pseudonymise';
import { loadAvroSchema, topicClass } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { assertExportableTopic, assertRecipientSchema, createBatchChannel, ExportRefused } from './export-topic.ts';

const agreements = loadAgreements(new URL('../../../agreements', import.meta.url).pathname);
const sbbSchema = recipientSchema(agreements.find((a) => a.recipient === 'sbb-stagemarkt')!);

describe('assertExportableTopic', () => {
  it('lets recipient topics through', () => {
    expect(() => assertExportableTopic('recipient.sbb-stagemarkt.v2', topicClass('recipient.sbb-stagemarkt.v2'), undefined)).not.toThrow();
  });

  it("refuses a snapshot delivery's topic, pointing at the delivery's Parquet file", () => {
    const topic = 'snapshot.ocw-minister.2026-10-01.2026-11-15';
    expect(() => assertExportableTopic(topic, topicClass(topic), 'ocw-minister')).toThrow(/rows are the delivery's Parquet file already/);
  });

  it.each([
    'register.raw.v1',
    'register.events.v1',
    'register.events.dlq.v1',
    'feed.svb-kostendelersnorm.v1',
    'audit.deliveries.v2',
  ])('refuses %s, saying what it holds and that nothing was read', (topic) => {
    const refused = () => assertExportableTopic(topic, topicClass(topic), undefined);
    expect(refused).toThrow(ExportRefused);
    expect(refused).toThrow(
      new RegExp(
        `topic ${topic.replaceAll('.', '\\.')} is a \\S+ topic \\(.+\\); analytics exports read recipient topics only.*Nothing was read`,
      ),
    );
  });

  it('refuses a catalogue topic even when a recipient is named', () => {
    expect(() => assertExportableTopic('register.events.v1', 'canonical', 'sbb-stagemarkt')).toThrow('is a canonical topic');
  });

  it('refuses a topic the catalogue does not know unless its recipient is named', () => {
    expect(() => assertExportableTopic('copy-of-something', 'unknown', undefined)).toThrow('name the recipient with --recipient');
    expect(() => assertExportableTopic('copy-of-something', 'unknown', 'sbb-stagemarkt')).not.toThrow();
  });
});

describe('assertRecipientSchema', () => {
  it("accepts a recipient record, and the named recipient's own", () => {
    expect(() => assertRecipientSchema('t', sbbSchema, undefined)).not.toThrow();
    expect(() => assertRecipientSchema('t', sbbSchema, 'sbb-stagemarkt')).not.toThrow();
  });

  it("refuses the canonical event schema, and another recipient's records under a named recipient", () => {
    expect(() => assertRecipientSchema('t', loadAvroSchema('register-event.avsc'), 'sbb-stagemarkt')).toThrow(
      /holds nl\.onderwijs\.register\.v1\.RegisterEvent records, not a recipient's records/,
    );
    expect(() => assertRecipientSchema('t', sbbSchema, 'ocw-minister')).toThrow("not ocw-minister's");
  });
});

describe('createBatchChannel', () => {
  async function take<T>(items: AsyncGenerator<T>, n: number): Promise<T[]> {
    const out: T[] = [];
    while (out.length < n) {
      const next = await items.next();
      if (next.done) break;
      out.push(next.value);
    }
    return out;
  }

  it('hands the batches over in order; a push resolves only once its batch was taken whole', async () => {
    const channel = createBatchChannel<number>();
    const items = channel.items();
    let firstTaken = false;
    const first = channel.push([1, 2]).then(() => {
      firstTaken = true;
    });
    const second = channel.push([3]);

    expect(await take(items, 1)).toEqual([1]);
    await Promise.resolve();
    expect(firstTaken).toBe(false);
    expect(await take(items, 2)).toEqual([2, 3]);
    await first;
    expect(firstTaken).toBe(true);
    channel.end();
    // the last batch counts as taken once the reader asks for more
    const last = items.next();
    await second;
    expect(await last).toEqual({ done: true, value: undefined });
  });

  it("throws a failure at the reader's next pull", async () => {
    const channel = createBatchChannel<number>();
    const items = channel.items();
    void channel.push([1]);
    expect(await take(items, 1)).toEqual([1]);
    channel.fail(new Error('registry gone'));
    await expect(items.next()).rejects.toThrow('registry gone');
  });

  it('lets pushes go once the reader left, so a consumer never hangs on a writer that failed', async () => {
    const channel = createBatchChannel<number>();
    const items = channel.items();
    const pending = channel.push([1, 2, 3]);
    expect(await take(items, 1)).toEqual([1]);
    await items.return(undefined);

    await pending;
    expect(channel.closed).toBe(true);
    await channel.push([4]);
  });
});
