import { alertsApi } from '../api-client/client.js';
import type { NamedCase } from '../api-client/types.js';
import { SeverityBadge, StatusBadge } from '../components/badges.js';
import { CaseLink } from '../components/grouping.js';
import { Pager } from '../components/pager.js';
import { Problem } from '../components/problem.js';
import { SeveritySelect } from '../components/severity-select.js';
import { formatTime, isoToLocal, localToIso } from '../format.js';
import { Link } from '../router.js';
import { useAsync } from '../use-async.js';
import { casesOfAlerts, useCases } from '../use-cases.js';
import { useUrlFilters, type FilterCodec } from '../use-url-filters.js';

const FILTERS = ['severity', 'source', 'from', 'to', 'observable', 'caseId'] as const;

/**
 * The URL holds an instant with its zone, so a shared link means the same time everywhere; the form's
 * `datetime-local` field shows and takes the analyst's local time.
 */
const TIME: FilterCodec = { toField: isoToLocal, toUrl: localToIso };

/** Incoming alerts, most recently received first, filtered in the URL. */
export function AlertsPage({ location }: { location: string }) {
  const { current, cursor, field, submit, page } = useUrlFilters(location, '/alerts', FILTERS, {
    from: TIME,
    to: TIME,
  });
  const { data, error, loading } = useAsync(
    () =>
      alertsApi.list({
        severity: current.severity,
        source: current.source,
        observable: current.observable,
        caseId: current.caseId,
        // Links written before times carried a zone hold local time; a value that is no time at all goes
        // as it is, and the API's answer names it.
        from: localToIso(current.from),
        to: localToIso(current.to),
        cursor,
        limit: 50,
      }),
    [location],
  );
  // Each alert carries its case; the filter's case is read on its own only when no alert of the page has it
  // (it holds none, or was merged), and only once the page is in.
  const listed = casesOfAlerts(data?.alerts);
  const filtered = useCases([
    !loading && current.caseId && !listed.has(current.caseId) ? current.caseId : null,
  ]);
  const cases = new Map<string, NamedCase>([...filtered, ...listed]);

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
          Event time from
          <input {...field('from')} type="datetime-local" />
        </label>
        <label>
          Event time to
          <input {...field('to')} type="datetime-local" />
        </label>
        <label className="grow">
          Observable
          <input {...field('observable')} type="search" placeholder="IP, domain, hash, user…" />
        </label>
        <label>
          Case id
          <input {...field('caseId')} placeholder="any case" />
        </label>
        <button type="submit" className="primary">
          Apply
        </button>
      </form>
      {current.caseId && (
        <p className="notice">
          Alerts of case <CaseLink id={current.caseId} cases={cases} /> only.{' '}
          <Link to="/alerts">Show all alerts</Link>
        </p>
      )}
      <Problem error={error} />
      <table className="grid alerts" aria-busy={loading}>
        <caption className="visually-hidden">Alerts, most recently received first</caption>
        <thead>
          <tr>
            <th scope="col" title="When Riposte stored the alert; the list is in this order, newest first">
              Received ↓
            </th>
            <th scope="col" title="When the source detected it">
              Event time
            </th>
            <th scope="col">Title</th>
            <th scope="col">Severity</th>
            <th scope="col">Source</th>
            <th scope="col">Observables</th>
            <th scope="col" title="How many times it was seen (repeats are counted, not stored again)">
              Seen
            </th>
            <th scope="col">Case</th>
          </tr>
        </thead>
        <tbody>
          {data?.alerts.map((a) => {
            const kase = a.case;
            return (
              <tr key={a.id}>
                <td className="nowrap">{formatTime(a.createdAt)}</td>
                <td className="nowrap">{formatTime(a.time)}</td>
                <td>
                  <Link to={`/alerts/${encodeURIComponent(a.id)}`}>{a.title}</Link>
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
                    <span
                      key={`${o.type}:${o.value}:${o.role}`}
                      className="observable"
                      title={`${o.type} (${o.role}): ${o.value}`}
                    >
                      {o.value}
                    </span>
                  ))}
                  {a.observables.length > 4 && <span className="muted"> +{a.observables.length - 4}</span>}
                </td>
                <td className="num">{a.count}</td>
                <td className="nowrap" data-testid="alert-case">
                  {a.caseId ? (
                    <>
                      <CaseLink id={a.caseId} cases={cases} /> {kase && <StatusBadge status={kase.status} />}
                    </>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            );
          })}
          {data && data.alerts.length === 0 && (
            <tr>
              <td colSpan={8} className="empty">
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
