import type { ResponseReport } from '../../app/cases/response-report.js';

/** Label values escaped as the Prometheus text format requires (backslash, quote, newline). */
const label = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

const seconds = (ms: number | null): string => (ms === null ? 'NaN' : String(ms / 1000));

/** Renders the response report in the Prometheus text exposition format (version 0.0.4). */
export function renderPrometheus(report: ResponseReport): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, samples: Array<[Record<string, string>, string]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${label(v)}"`)
        .join(',');
      lines.push(`${name}${l ? `{${l}}` : ''} ${value}`);
    }
  };
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
  return `${lines.join('\n')}\n`;
}
