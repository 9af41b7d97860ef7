/**
 * What this process counted since it started, for the Prometheus scrape (`# TYPE … counter`). Each API
 * process counts what it received; Prometheus adds the processes up and takes rates, so a source that went
 * quiet or a listener rejecting frames shows on a dashboard without a query to the store.
 */
export const COUNTERS = {
  ingestAlerts: {
    name: 'riposte_ingest_alerts_total',
    help: 'Alerts this process ingested since it started, by source and outcome (accepted, duplicate, rejected).',
    labels: ['source', 'outcome'],
  },
  syslogFramesRejected: {
    name: 'riposte_syslog_frames_rejected_total',
    help: 'Syslog frames this process could not cut from a stream (bad framing, over the size limit) since it started, by transport. A frame that matches no grammar counts as a rejected alert of its source.',
    labels: ['transport'],
  },
} as const;

type CounterName = keyof typeof COUNTERS;
type LabelsOf<N extends CounterName> = Record<(typeof COUNTERS)[N]['labels'][number], string>;

export interface CounterSamples {
  name: string;
  help: string;
  samples: Array<{ labels: Record<string, string>; value: number }>;
}

export interface ProcessCounters {
  add<N extends CounterName>(counter: N, labels: LabelsOf<N>, by?: number): void;
  /** Every counter, with a sample per label set seen (none yet: no samples). */
  read(): CounterSamples[];
}

export function createProcessCounters(): ProcessCounters {
  const values = new Map<CounterName, Map<string, { labels: Record<string, string>; value: number }>>();
  return {
    add(counter, labels, by = 1) {
      if (by === 0) return;
      let series = values.get(counter);
      if (!series) values.set(counter, (series = new Map()));
      const key = COUNTERS[counter].labels.map((l) => (labels as Record<string, string>)[l]).join('\u0000');
      const sample = series.get(key);
      if (sample) sample.value += by;
      else series.set(key, { labels: { ...labels }, value: by });
    },
    read() {
      return (Object.keys(COUNTERS) as CounterName[]).map((counter) => ({
        name: COUNTERS[counter].name,
        help: COUNTERS[counter].help,
        samples: [...(values.get(counter)?.values() ?? [])].map((s) => ({ ...s, labels: { ...s.labels } })),
      }));
    },
  };
}
