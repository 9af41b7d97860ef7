import { describe, expect, it } from 'vitest';
import { createProcessCounters, MAX_SERIES_PER_COUNTER } from './process-counters.js';

describe('process counters', () => {
  it('adds per label set, and lists every counter, with no samples until counted', () => {
    const counters = createProcessCounters();
    expect(counters.read().map((c) => [c.name, c.samples.length])).toEqual([
      ['riposte_ingest_alerts_total', 0],
      ['riposte_syslog_frames_rejected_total', 0],
      ['riposte_syslog_dropped_total', 0],
    ]);
    counters.add('ingestAlerts', { source: 'edr', outcome: 'accepted' }, 3);
    counters.add('ingestAlerts', { source: 'edr', outcome: 'accepted' });
    counters.add('ingestAlerts', { source: 'edr', outcome: 'rejected' }, 0);
    counters.add('syslogFramesRejected', { transport: 'udp' });
    counters.add('syslogDropped', { transport: 'udp', reason: 'queue_full' }, 2);
    const [alerts, frames, dropped] = counters.read();
    expect(alerts?.samples).toEqual([{ labels: { source: 'edr', outcome: 'accepted' }, value: 4 }]);
    expect(frames?.samples).toEqual([{ labels: { transport: 'udp' }, value: 1 }]);
    expect(dropped?.samples).toEqual([{ labels: { transport: 'udp', reason: 'queue_full' }, value: 2 }]);
  });

  it('keeps at most a bounded number of label sets apart: past it, caller-named labels count as _other', () => {
    const counters = createProcessCounters();
    const sources = MAX_SERIES_PER_COUNTER + 5;
    for (let i = 0; i < sources; i += 1)
      counters.add('ingestAlerts', { source: `s${i}`, outcome: 'accepted' });
    counters.add('ingestAlerts', { source: 's0', outcome: 'accepted' });
    counters.add('ingestAlerts', { source: 'late', outcome: 'duplicate' }, 2);
    const samples = counters.read()[0]?.samples ?? [];
    expect(samples).toHaveLength(MAX_SERIES_PER_COUNTER + 2);
    expect(samples.find((s) => s.labels.source === 's0')?.value).toBe(2);
    expect(samples.filter((s) => s.labels.source === '_other')).toEqual([
      { labels: { source: '_other', outcome: 'accepted' }, value: 5 },
      { labels: { source: '_other', outcome: 'duplicate' }, value: 2 },
    ]);
    // Nothing counted is lost.
    expect(samples.reduce((sum, s) => sum + s.value, 0)).toBe(sources + 1 + 2);
  });
});
