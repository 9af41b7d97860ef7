import { alertsApi } from '../api-client/client.js';
import { SeverityBadge } from '../components/badges.js';
import { Pager } from '../components/pager.js';
import { Problem } from '../components/problem.js';
import { SeveritySelect } from '../components/severity-select.js';
import { formatTime } from '../format.js';
import { Link } from '../router.js';
import { useAsync } from '../use-async.js';
import { useUrlFilters } from '../use-url-filters.js';

const FILTERS = ['severity', 'source', 'from', 'to', 'observable'] as const;

/** `datetime-local` gives local wall time; the API takes ISO 8601 instants. */
const toIso = (local: string): string | undefined => (local ? new Date(local).toISOString() : undefined);

/** Incoming alerts, newest first, filtered in the URL. */
export function AlertsPage({ location }: { location: string }) {
  const { current, cursor, field, submit, page } = useUrlFilters(location, '/alerts', FILTERS);
  const { data, error, loading } = useAsync(
    () =>
      alertsApi.list({
        severity: current.severity,
        source: current.source,
        observable: current.observable,
        from: toIso(current.from),
        to: toIso(current.to),
        cursor,
        limit: 50,
      }),
    [location],
  );

  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title">Alerts</h1>
      <form className="filters" onSubmit={submit} role="search" aria-label="Filter alerts">
        <label>
          Severity
          <SeveritySelect {...field('severity')} />
        </label>
        <label>
          Source
          <input {...field('source')} placeholder="e.g. suricata-dmz" />
        </label>
        <label>
          From
          <input {...field('from')} type="datetime-local" />
        </label>
        <label>
          To
          <input {...field('to')} type="datetime-local" />
        </label>
        <label className="grow">
          Observable
          <input {...field('observable')} type="search" placeholder="IP, domain, hash, user…" />
        </label>
        <button type="submit" className="primary">
          Apply
        </button>
      </form>
      <Problem error={error} />
      <table className="grid" aria-busy={loading}>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Title</th>
            <th scope="col">Severity</th>
            <th scope="col">Source</th>
            <th scope="col">Observables</th>
            <th scope="col">Seen</th>
            <th scope="col">Case</th>
          </tr>
        </thead>
        <tbody>
          {data?.alerts.map((a) => (
            <tr key={a.id}>
              <td className="nowrap">{formatTime(a.time)}</td>
              <td>
                {a.title}
                {a.origin.ruleName && a.origin.ruleName !== a.title && (
                  <div className="muted small">{a.origin.ruleName}</div>
                )}
              </td>
              <td>
                <SeverityBadge severity={a.severity} />
              </td>
              <td>{a.origin.product ? `${a.source} · ${a.origin.product}` : a.source}</td>
              <td>
                {a.observables.slice(0, 4).map((o) => (
                  <span key={`${o.type}:${o.value}`} className="observable" title={`${o.type} (${o.role})`}>
                    {o.value}
                  </span>
                ))}
                {a.observables.length > 4 && <span className="muted"> +{a.observables.length - 4}</span>}
              </td>
              <td className="num">{a.count}</td>
              <td>{a.caseId ? <Link to={`/cases/${encodeURIComponent(a.caseId)}`}>open case</Link> : '—'}</td>
            </tr>
          ))}
          {data && data.alerts.length === 0 && (
            <tr>
              <td colSpan={7} className="empty">
                No alerts match these filters.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <Pager cursor={cursor} next={data?.nextCursor} count={data?.alerts.length ?? 0} onPage={page} />
    </section>
  );
}
