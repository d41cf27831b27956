/** The generator's one summary line at the end of a run (its progress is service-kit's createProgress). */

export interface Summary {
  events: number;
  persons: number;
  seconds: number;
  peakRssMb: number;
}

export function summaryLine({ events, persons, seconds, peakRssMb }: Summary): string {
  const rate = seconds > 0 ? Math.round(events / seconds) : 0;
  return `generate: ${events} events, ${persons} persons, ${seconds.toFixed(1)} s, ${rate} events/s, peak RSS ${peakRssMb} MB`;
}
