import type { ResponseReport } from '../../app/cases/response-report.js';
import type { CounterSamples } from '../../observability/process-counters.js';

/** Label values escaped as the Prometheus text format requires (backslash, quote, newline). */
const label = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

const seconds = (ms: number | null): string => (ms === null ? 'NaN' : String(ms / 1000));

/** One metric family in the text format: its help, its type, a line per label set. */
function family(
  name: string,
  help: string,
  type: 'gauge' | 'counter',
  samples: Array<[Record<string, string>, string]>,
): string[] {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const [labels, value] of samples) {
    const l = Object.entries(labels)
      .map(([k, v]) => `${k}="${label(v)}"`)
      .join(',');
    lines.push(`${name}${l ? `{${l}}` : ''} ${value}`);
  }
  return lines;
}

/**
 * Renders the response report, then this process's counters, in the Prometheus text exposition format
 * (version 0.0.4).
 */
export function renderPrometheus(report: ResponseReport, counters: readonly CounterSamples[]): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, samples: Array<[Record<string, string>, string]>) =>
    lines.push(...family(name, help, 'gauge', samples));
  gauge(
    'riposte_cases_open',
    'Cases not closed, by severity and age.',
    report.openCases.map((o) => [{ severity: o.severity, age: o.ageBucket }, String(o.count)]),
  );
  const window = 'Over cases created in the reporting window (30 days).';
  gauge('riposte_case_mtta_seconds', `Mean time to acknowledge. ${window}`, [
    [{}, seconds(report.total.mttaMs)],
  ]);
  gauge('riposte_case_mttc_seconds', `Mean time to contain. ${window}`, [[{}, seconds(report.total.mttcMs)]]);
  gauge('riposte_case_mttr_seconds', `Mean time to resolve. ${window}`, [[{}, seconds(report.total.mttrMs)]]);
  gauge('riposte_cases_created_window', `Cases created. ${window}`, [[{}, String(report.total.cases)]]);
  gauge('riposte_cases_closed_window', `Of those, closed. ${window}`, [[{}, String(report.total.closed)]]);
  gauge('riposte_case_false_positive_rate', `Share of closed cases closed as false positives. ${window}`, [
    [{}, report.total.falsePositiveRate === null ? 'NaN' : String(report.total.falsePositiveRate)],
  ]);
  gauge(
    'riposte_alerts_window',
    'Alerts received in the reporting window, by source.',
    report.alertsPerSource.map((a) => [{ source: a.source }, String(a.count)]),
  );
  for (const c of counters)
    lines.push(
      ...family(
        c.name,
        c.help,
        'counter',
        c.samples.map((s) => [s.labels, String(s.value)]),
      ),
    );
  return `${lines.join('\n')}\n`;
}
