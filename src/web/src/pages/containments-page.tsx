import { useState } from 'react';
import { containmentApi } from '../api-client/connectors.js';
import { CONTAINMENT_STATUSES, type Containment } from '../api-client/connector-types.js';
import { StatusBadge } from '../components/badges.js';
import { Problem } from '../components/problem.js';
import { formatTime, humanize } from '../format.js';
import { Link, navigate, queryOf } from '../router.js';
import { useAsync } from '../use-async.js';

function ContainmentRow({ item, onChanged }: { item: Containment; onChanged: () => void }) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const undo = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await containmentApi.undo(item.id);
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr>
      <td>
        {item.targets.map((t) => (
          <span key={`${t.kind}:${t.value}`} className="observable" title={t.kind}>
            {t.value}
          </span>
        ))}
      </td>
      <td>
        <code>{item.action}</code>
        <div className="muted small">{item.instance}</div>
      </td>
      <td>
        <StatusBadge status={item.status} />
        {item.lastError && <div className="small failed">{item.lastError}</div>}
      </td>
      <td className="small">
        <Link to={`/playbooks/${encodeURIComponent(item.playbookId)}`}>{item.playbookId}</Link>
        {' · '}
        <Link to={`/runs/${encodeURIComponent(item.runId)}`}>run</Link>
        {item.caseId && (
          <>
            {' · '}
            <Link to={`/cases/${encodeURIComponent(item.caseId)}`}>case</Link>
          </>
        )}
      </td>
      <td className="nowrap">{formatTime(item.createdAt)}</td>
      <td className="nowrap">
        {item.undoneAt ? `undone ${formatTime(item.undoneAt)}` : formatTime(item.expiresAt)}
      </td>
      <td>
        {item.status !== 'undone' && item.undo && (
          <button type="button" className="danger" disabled={busy} onClick={() => void undo()}>
            Undo
          </button>
        )}
        {!item.undo && <span className="muted small">no undo action</span>}
        <Problem error={error} />
      </td>
    </tr>
  );
}

/** Containments in force (and past ones), with undo; the protected assets and tripped breakers beside them. */
export function ContainmentsPage({ location }: { location: string }) {
  const status = queryOf(location).get('status') ?? 'active';
  const list = useAsync(() => containmentApi.list(status), [status]);
  const assets = useAsync(() => containmentApi.protectedAssets(), []);
  const breakers = useAsync(() => containmentApi.breakers(), []);
  const [breakerError, setBreakerError] = useState<unknown>();
  const reset = async (scope: string) => {
    setBreakerError(undefined);
    try {
      await containmentApi.resetBreaker(scope);
      breakers.reload();
    } catch (err) {
      setBreakerError(err);
    }
  };
  return (
    <section aria-labelledby="containments-title">
      <h1 id="containments-title">Containments</h1>
      <div className="filters">
        <label>
          Status
          <select value={status} onChange={(e) => navigate(`/containments?status=${e.target.value}`)}>
            {CONTAINMENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Problem error={list.error} />
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">Targets</th>
            <th scope="col">Action</th>
            <th scope="col">Status</th>
            <th scope="col">From</th>
            <th scope="col">Since</th>
            <th scope="col">Expires</th>
            <th scope="col">Undo</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.map((c) => (
            <ContainmentRow key={c.id} item={c} onChanged={list.reload} />
          ))}
          {list.data && list.data.length === 0 && (
            <tr>
              <td colSpan={7} className="empty">
                No {humanize(status)} containments.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <div className="case-columns section-gap">
        <section className="panel" aria-labelledby="breakers-title">
          <h2 id="breakers-title">Tripped circuit breakers</h2>
          <Problem error={breakers.error ?? breakerError} />
          {breakers.data?.length === 0 && <p className="muted">None: automation may contain.</p>}
          <ul className="plain-list">
            {breakers.data?.map((b) => (
              <li key={b.scope}>
                <code>{b.scope}</code> {b.reason}{' '}
                <span className="muted small">until {formatTime(b.openUntil)}</span>{' '}
                <button type="button" onClick={() => void reset(b.scope)}>
                  Reset
                </button>
              </li>
            ))}
          </ul>
        </section>
        <section className="panel" aria-labelledby="assets-title">
          <h2 id="assets-title">Protected assets</h2>
          <Problem error={assets.error} />
          {assets.data?.length === 0 && <p className="muted">None.</p>}
          <ul className="plain-list">
            {assets.data?.map((a) => (
              <li key={a.id}>
                <span className="tag">{a.kind}</span> <code>{a.value}</code>{' '}
                <span className="muted small">{a.reason}</span>
              </li>
            ))}
          </ul>
        </section>
      </div>
    </section>
  );
}
