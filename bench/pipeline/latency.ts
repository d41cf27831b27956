// Latency from a raw register event to its Stagemarkt row through deliver's read API, with the services
// as processes; baseline: a plain kafkajs consumer of the raw topic in the same run.
//
// Each event is a new BPV of a new person. The API answers one filtered query at a time: events are put in
// buckets of ~100 ms (the bucket is the BPV's omvangUren, the phase its BRIN) and the oldest buckets not yet
// seen whole are asked for, up to three per poll, every `pollMs`. A row's time is the first answer that
// holds it. (Every API request sorts all of the projection's rows, so asking for less is not cheaper for
// deliver, only for the wire.)
import { rawPersonKey } from '@register-feeds/contracts';
import type { MessageBus } from '@register-feeds/service-kit';
import { Kafka, logLevel } from 'kafkajs';
import { testBsn } from '../../test/support/raw-events.ts';

export interface LatencyRun {
  rate: number;
  sent: number;
  /** ms from send to visible, per event seen in the API */
  api: number[];
  /** ms from send to seen by the plain consumer of the raw topic */
  raw: number[];
  /** events never seen in the API before the wait ended */
  missing: number;
}

/** BRINs of the latency phases: two digits and two capitals, one per phase so their rows never mix. */
export function phaseBrin(phase: number): string {
  return `${String(90 + (phase % 10)).padStart(2, '0')}LT`;
}

export async function measureLatency({
  bus,
  brokers,
  rawTopic,
  api,
  rate,
  seconds,
  phase,
  runId,
  pollMs = 10,
  waitMs = 120_000,
}: {
  bus: MessageBus;
  brokers: string[];
  rawTopic: string;
  api: { url: string; stagemarktToken: string };
  rate: number;
  seconds: number;
  /** numbers the phase within the run (its BRIN and its persons) */
  phase: number;
  runId: string;
  pollMs?: number;
  waitMs?: number;
}): Promise<LatencyRun> {
  const total = Math.max(1, Math.round(rate * seconds));
  const bucketSize = Math.max(1, Math.round(rate / 10));
  const brin = phaseBrin(phase);
  const id = (i: number) => `L${phase}x${i}`;
  const sentAt: number[] = [];
  const seenApi = new Map<string, number>();
  const seenRaw = new Map<string, number>();
  const eventIdPrefix = `${runId}-lat${phase}-`;

  // baseline watcher: a plain kafkajs consumer of the raw topic (from its start: a consumer that starts at
  // the end could resolve that end after the first events were sent, and never see them)
  const kafka = new Kafka({ clientId: 'bench-latency-watcher', brokers, logLevel: logLevel.NOTHING });
  const watcher = kafka.consumer({ groupId: `${runId}-lat${phase}-raw-watcher` });
  await watcher.connect();
  let joined = false;
  watcher.on(watcher.events.GROUP_JOIN, () => {
    joined = true;
  });
  await watcher.subscribe({ topic: rawTopic, fromBeginning: true });
  await watcher.run({
    eachMessage: async ({ message }) => {
      const eventId = (JSON.parse(String(message.value)) as { eventId: string }).eventId;
      if (eventId.startsWith(eventIdPrefix) && !seenRaw.has(eventId)) seenRaw.set(eventId, performance.now());
    },
  });
  while (!joined) await new Promise((r) => setTimeout(r, 50));

  // API watcher: the oldest buckets not yet seen whole
  let polling = true;
  let sent = 0;
  const buckets = Math.ceil(total / bucketSize);
  let oldest = 0;
  const bucketDone = (b: number) => {
    const end = Math.min(total, (b + 1) * bucketSize);
    if (sent < end) return false;
    for (let i = b * bucketSize; i < end; i++) if (!seenApi.has(id(i))) return false;
    return true;
  };
  const poll = (async () => {
    while (polling && oldest < buckets) {
      while (oldest < buckets && bucketDone(oldest)) oldest++;
      const open: number[] = [];
      for (let b = oldest; b < buckets && open.length < 3 && b * bucketSize < sent; b++) if (!bucketDone(b)) open.push(b);
      for (const b of open) {
        try {
          const response = await fetch(`${api.url}/v1/sbb-stagemarkt/rows?kind=bpv&brin=${brin}&omvangUren=${b + 1}&limit=1000`, {
            headers: { authorization: `Bearer ${api.stagemarktToken}` },
          });
          const page = (await response.json()) as { rows?: Array<{ row: { inschrijvingsvolgnummer: string } }> };
          const now = performance.now();
          for (const { row } of page.rows ?? [])
            if (!seenApi.has(row.inschrijvingsvolgnummer)) seenApi.set(row.inschrijvingsvolgnummer, now);
        } catch {
          // deliver not answering: its rows count as not visible yet (the wait below ends it)
        }
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  })();

  const producer = await bus.producer();
  const started = performance.now();
  // at most ~100 sends a second: at 1000/s, ten events per send, each stamped when its send began
  const perSend = Math.max(1, Math.round(rate / 100));
  for (let i = 0; i < total; i += perSend) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const lines: string[] = [];
    for (let j = i; j < Math.min(total, i + perSend); j++)
      lines.push(JSON.stringify(latencyEvent(eventIdPrefix, brin, phase, j, Math.floor(j / bucketSize) + 1, id(j))));
    const at = performance.now();
    for (let j = 0; j < lines.length; j++) sentAt.push(at);
    await producer.send(lines.map((line) => ({ topic: rawTopic, key: rawPersonKey(line), value: line })));
    sent = Math.min(total, i + perSend);
  }
  await producer.disconnect();
  const deadline = performance.now() + waitMs;
  while ((oldest < buckets || seenRaw.size < total) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  polling = false;
  await poll;
  await watcher.disconnect();

  const apiLatency: number[] = [];
  const rawLatency: number[] = [];
  for (let i = 0; i < total; i++) {
    const a = seenApi.get(id(i));
    if (a !== undefined) apiLatency.push(a - (sentAt[i] as number));
    const r = seenRaw.get(`${eventIdPrefix}${i}`);
    if (r !== undefined) rawLatency.push(r - (sentAt[i] as number));
  }
  return { rate, sent: total, api: apiLatency, raw: rawLatency, missing: total - apiLatency.length };
}

/** A new BPV of a new person: one raw register event, valid by construction. */
function latencyEvent(eventIdPrefix: string, brin: string, phase: number, i: number, bucket: number, volgnummer: string) {
  return {
    eventId: `${eventIdPrefix}${i}`,
    eventType: 'BpvGeregistreerd',
    occurredAt: '2025-09-01T08:00:00Z',
    sector: 'MBO',
    persoon: {
      bsn: testBsn(2_000_000 + phase * 100_000 + i),
      geboortedatum: '2007-01-01',
      naam: { voornamen: 'Test', achternaam: `Latency ${i}` },
    },
    inschrijving: {
      brin,
      inschrijvingsvolgnummer: volgnummer,
      opleidingscode: '25180',
      leerweg: 'BBL',
      niveau: 2,
      begindatum: '2025-08-01',
    },
    bpv: {
      bpvVolgnummer: 1,
      leerbedrijf: { id: 'LB1', naam: 'Bench BV' },
      begindatum: '2025-09-01',
      geplandeEinddatum: '2026-06-30',
      omvangUren: bucket,
    },
  };
}
