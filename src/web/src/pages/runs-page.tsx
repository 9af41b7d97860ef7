import { runsApi } from '../api-client/automation.js';
import { RUN_STATUSES } from '../api-client/automation-types.js';
import { StatusBadge } from '../components/badges.js';
import { Pager } from '../components/pager.js';
import { Problem } from '../components/problem.js';
import { formatTime } from '../format.js';
import { Link, navigate, queryOf } from '../router.js';
import { useAsync } from '../use-async.js';

const PAGE = 50;

/** Playbook runs, newest first; pages go back by run id (ids are time-ordered UUIDv7). */
export function RunsPage({ location }: { location: string }) {
  const query = queryOf(location);
  const status = query.get('status') ?? '';
  const before = query.get('before') ?? undefined;
  const { data, error } = useAsync(() => runsApi.list({ status, before, limit: PAGE }), [location]);
  const go = (next: { status?: string; before?: string }) => {
    const params = new URLSearchParams();
    if (next.status) params.set('status', next.status);
    if (next.before) params.set('before', next.before);
    const text = params.toString();
    navigate(text ? `/runs?${text}` : '/runs');
  };
  const items = data?.items ?? [];
  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <div className="filters">
        <label>
          Status
          <select value={status} onChange={(e) => go({ status: e.target.value })}>
            <option value="">Any</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Problem error={error} />
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Playbook</th>
            <th scope="col">Status</th>
            <th scope="col">Trigger</th>
            <th scope="col">Case</th>
            <th scope="col">Started</th>
            <th scope="col">Finished</th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr key={r.id}>
              <td>
                <Link to={`/runs/${encodeURIComponent(r.id)}`}>{r.id.slice(-12)}</Link>
                {r.dryRun && <span className="tag">dry run</span>}
              </td>
              <td>
                <Link to={`/playbooks/${encodeURIComponent(r.playbookId)}`}>{r.playbookId}</Link> v{r.version}
              </td>
              <td>
                <StatusBadge status={r.status} />
                {r.errorCode && <div className="muted small">{r.errorCode}</div>}
              </td>
              <td>{r.triggerType}</td>
              <td>{r.caseId ? <Link to={`/cases/${encodeURIComponent(r.caseId)}`}>case</Link> : '—'}</td>
              <td className="nowrap">{formatTime(r.startedAt)}</td>
              <td className="nowrap">{formatTime(r.finishedAt)}</td>
            </tr>
          ))}
          {data && items.length === 0 && (
            <tr>
              <td colSpan={7} className="empty">
                No runs.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <Pager
        cursor={before}
        next={items.length === PAGE ? items.at(-1)?.id : null}
        count={items.length}
        onPage={(b) => go({ status, before: b })}
      />
    </section>
  );
}
