import { useEffect, useState, type FormEvent } from 'react';
import { casesApi } from '../api-client/client.js';
import { CASE_STATUSES, SEVERITIES } from '../api-client/types.js';
import { SeverityBadge, StatusBadge } from '../components/badges.js';
import { Pager } from '../components/pager.js';
import { Problem } from '../components/problem.js';
import { formatTime, humanize } from '../format.js';
import { Link, navigate, queryOf } from '../router.js';
import { useAsync } from '../use-async.js';

const FILTERS = ['status', 'severity', 'assignee', 'observable', 'q'] as const;

/** The case queue: filters live in the URL, so a filtered view can be shared and survives reload. */
export function CasesPage({ location }: { location: string }) {
  const query = queryOf(location);
  const current = Object.fromEntries(FILTERS.map((f) => [f, query.get(f) ?? '']));
  const cursor = query.get('cursor') ?? undefined;
  const [draft, setDraft] = useState(current);
  // Following a link (or Back) to another filtered view shows that view's filters in the form.
  useEffect(() => setDraft(current), [location]);
  const { data, error, loading } = useAsync(
    () => casesApi.list({ ...current, cursor, limit: 50 }),
    [location],
  );

  const go = (values: Record<string, string>, nextCursor?: string) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(values)) if (v) params.set(k, v);
    if (nextCursor) params.set('cursor', nextCursor);
    const text = params.toString();
    navigate(text ? `/cases?${text}` : '/cases');
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    go(draft);
  };
  const field = (name: string) => ({
    name,
    value: draft[name] ?? '',
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value }),
  });

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
          <select {...field('severity')}>
            <option value="">Any</option>
            <option value="high,critical">High and critical</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
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
      <Pager
        cursor={cursor}
        next={data?.nextCursor}
        count={data?.items.length ?? 0}
        onPage={(c) => go(current, c)}
      />
    </section>
  );
}
