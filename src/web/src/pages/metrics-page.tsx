import { metricsApi } from '../api-client/client.js';
import { SEVERITIES } from '../api-client/types.js';
import { Problem } from '../components/problem.js';
import { formatDuration, formatTime } from '../format.js';
import { useAsync } from '../use-async.js';

const BAR_COLORS: Record<string, string> = {
  info: '#64748b',
  low: '#2563eb',
  medium: '#ca8a04',
  high: '#ea580c',
  critical: '#b91c1c',
};

/** Open cases per severity as a horizontal bar chart in plain SVG. */
function SeverityBars({ counts }: { counts: Array<{ severity: string; count: number }> }) {
  const max = Math.max(1, ...counts.map((c) => c.count));
  const row = 26;
  return (
    <svg
      className="bars"
      viewBox={`0 0 420 ${counts.length * row}`}
      role="img"
      aria-label={counts.map((c) => `${c.severity}: ${c.count}`).join(', ')}
    >
      {counts.map((c, i) => (
        <g key={c.severity} transform={`translate(0 ${i * row})`}>
          <text x="0" y="17" className="bar-label">
            {c.severity}
          </text>
          <rect
            x="80"
            y="4"
            height="16"
            rx="2"
            width={(300 * c.count) / max}
            fill={BAR_COLORS[c.severity] ?? '#64748b'}
          />
          <text x={86 + (300 * c.count) / max} y="17" className="bar-value">
            {c.count}
          </text>
        </g>
      ))}
    </svg>
  );
}

/** Response metrics over the last 30 days, computed by the server from the case timelines. */
export function MetricsPage() {
  const { data, error } = useAsync(() => metricsApi.response(), []);
  const open = SEVERITIES.map((severity) => ({
    severity,
    count: (data?.openCases ?? []).filter((c) => c.severity === severity).reduce((n, c) => n + c.count, 0),
  })).reverse();
  const t = data?.total;
  return (
    <section aria-labelledby="metrics-title">
      <h1 id="metrics-title">Metrics</h1>
      <Problem error={error} />
      {data && t && (
        <>
          <p className="muted">
            Cases opened {formatTime(data.from)} – {formatTime(data.to)}
            {t.merged ? ` · ${t.merged} merged into another case, not counted` : ''}
          </p>
          <div className="stat-row">
            {(
              [
                ['MTTA', t.mttaMs, 'mean time to acknowledge'],
                ['MTTC', t.mttcMs, 'mean time to contain'],
                ['MTTR', t.mttrMs, 'mean time to resolve'],
              ] as const
            ).map(([label, ms, title]) => (
              <div key={label} className="stat" title={title}>
                <div className="stat-label">{label}</div>
                <div className="stat-value">{formatDuration(ms)}</div>
              </div>
            ))}
            <div className="stat">
              <div className="stat-label">Cases</div>
              <div className="stat-value">{t.cases}</div>
            </div>
            <div className="stat">
              <div className="stat-label">Closed</div>
              <div className="stat-value">{t.closed}</div>
            </div>
            <div className="stat">
              <div className="stat-label">False positives</div>
              <div className="stat-value">
                {t.falsePositiveRate === null ? '—' : `${Math.round(t.falsePositiveRate * 100)}%`}
              </div>
            </div>
          </div>
          <div className="case-columns">
            <section className="panel" aria-labelledby="open-title">
              <h2 id="open-title">Open cases by severity</h2>
              <SeverityBars counts={open} />
            </section>
            <section className="panel" aria-labelledby="sources-title">
              <h2 id="sources-title">Alerts per source</h2>
              <table className="grid compact">
                <tbody>
                  {data.alertsPerSource.map((s) => (
                    <tr key={s.source}>
                      <th scope="row">{s.source}</th>
                      <td className="num">{s.count}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
        </>
      )}
    </section>
  );
}
