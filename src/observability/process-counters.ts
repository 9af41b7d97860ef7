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
    /** Named by the caller: kept apart up to `MAX_SERIES_PER_COUNTER` label sets. */
    open: ['source'],
  },
  syslogFramesRejected: {
    name: 'riposte_syslog_frames_rejected_total',
    help: 'Syslog frames this process could not cut from a stream (bad framing, over the size limit) since it started, by transport. A frame that matches no grammar counts as a rejected alert of its source.',
    labels: ['transport'],
    open: [],
  },
  syslogDropped: {
    name: 'riposte_syslog_dropped_total',
    help: 'Syslog messages this process received and never stored since it started, by transport and reason: queue_full (a UDP datagram that came while the listener held its maximum of messages), store_failed (a batch the store failed: UDP at once, TCP and TLS only when the listener closed before the store recovered).',
    labels: ['transport', 'reason'],
    open: [],
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

/**
 * Label sets a counter keeps apart. A source name comes with the request, so a caller holding an ingest
 * token could otherwise grow the process's memory and the scrape without bound; past this, a new label set
 * is counted with its open labels (`open`) as `_other`.
 */
export const MAX_SERIES_PER_COUNTER = 1_000;

export function createProcessCounters(): ProcessCounters {
  const values = new Map<CounterName, Map<string, { labels: Record<string, string>; value: number }>>();
  return {
    add(counter, given, by = 1) {
      if (by === 0) return;
      let series = values.get(counter);
      if (!series) values.set(counter, (series = new Map()));
      const { labels: names, open } = COUNTERS[counter];
      let labels: Record<string, string> = given;
      let key = names.map((l) => labels[l]).join('\u0000');
      if (!series.has(key) && series.size >= MAX_SERIES_PER_COUNTER) {
        labels = { ...labels };
        for (const l of open) labels[l] = '_other';
        key = names.map((l) => labels[l]).join('\u0000');
      }
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
