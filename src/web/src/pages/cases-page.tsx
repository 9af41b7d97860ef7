import { casesApi } from '../api-client/client.js';
import { CASE_STATUSES } from '../api-client/types.js';
import { SeverityBadge, StatusBadge } from '../components/badges.js';
import { Pager } from '../components/pager.js';
import { Problem } from '../components/problem.js';
import { SeveritySelect } from '../components/severity-select.js';
import { formatTime, humanize } from '../format.js';
import { Link } from '../router.js';
import { useAsync } from '../use-async.js';
import { useUrlFilters } from '../use-url-filters.js';

const FILTERS = ['status', 'severity', 'assignee', 'observable', 'q'] as const;

/** The case queue: filters live in the URL, so a filtered view can be shared and survives reload. */
export function CasesPage({ location }: { location: string }) {
  const { current, cursor, field, submit, page } = useUrlFilters(location, '/cases', FILTERS);
  const { data, error, loading } = useAsync(
    () => casesApi.list({ ...current, cursor, limit: 50 }),
    [location],
  );

  return (
    <section aria-labelledby="cases-title">
      <h1 id="cases-title">Cases</h1>
      <form className="filters" onSubmit={submit} role="search" aria-label="Filter cases">
        <label>
          Status
          <select {...field('status')}>
            <option value="">Any</option>
            <option value="new,triage,containment,eradication,recovery">Open</option>
            {CASE_STATUSES.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Severity
          <SeveritySelect {...field('severity')} />
        </label>
        <label>
          Assignee
          <input {...field('assignee')} placeholder="username" />
        </label>
        <label>
          Observable
          <input {...field('observable')} placeholder="IP, domain, hash…" />
        </label>
        <label className="grow">
          Text
          <input {...field('q')} type="search" placeholder="title or description" />
        </label>
        <button type="submit" className="primary">
          Apply
        </button>
      </form>
      <Problem error={error} />
      <table className="grid" aria-busy={loading}>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Title</th>
            <th scope="col">Severity</th>
            <th scope="col">Status</th>
            <th scope="col">Assignee</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {data?.items.map((c) => (
            <tr key={c.id}>
              <td className="num">{c.number}</td>
              <td>
                <Link to={`/cases/${encodeURIComponent(c.id)}`}>{c.title}</Link>
                {c.tags.map((t) => (
                  <span key={t} className="tag">
                    {t}
                  </span>
                ))}
              </td>
              <td>
                <SeverityBadge severity={c.severity} />
              </td>
              <td>
                <StatusBadge status={c.status} />
                {c.resolution && <span className="muted"> {humanize(c.resolution)}</span>}
              </td>
              <td>{c.assignee ?? <span className="muted">unassigned</span>}</td>
              <td className="nowrap">{formatTime(c.updatedAt)}</td>
            </tr>
          ))}
          {data && data.items.length === 0 && (
            <tr>
              <td colSpan={6} className="empty">
                No cases match these filters.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <Pager cursor={cursor} next={data?.nextCursor} count={data?.items.length ?? 0} onPage={page} />
    </section>
  );
}
