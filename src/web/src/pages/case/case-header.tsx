import { useState, type FormEvent } from 'react';
import { casesApi } from '../../api-client/client.js';
import { CLOSE_RESOLUTIONS, type CaseDetail } from '../../api-client/types.js';
import { SeverityBadge, StatusBadge } from '../../components/badges.js';
import { CaseLink } from '../../components/grouping.js';
import { Problem } from '../../components/problem.js';
import { formatDuration, formatTime, humanize } from '../../format.js';

/** The case's state and the actions on it: move it along its lifecycle, close it, assign it. */
export function CaseHeader({
  kase,
  cases,
  onChanged,
}: {
  kase: CaseDetail;
  /** Cases this one names (where it was merged into), for their numbers. */
  cases: ReadonlyMap<string, CaseDetail>;
  onChanged: () => void;
}) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [resolution, setResolution] = useState('');
  const [reason, setReason] = useState('');
  const [assignee, setAssignee] = useState(kase.assignee ?? '');
  const resolutions = CLOSE_RESOLUTIONS[kase.status] ?? [];

  const act = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      setReason('');
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const move = (to: string) =>
    act(() =>
      casesApi.transition(kase.id, {
        to,
        ...(to === 'closed' && resolution ? { resolution } : {}),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      }),
    );
  const assign = (e: FormEvent) => {
    e.preventDefault();
    void act(() => casesApi.update(kase.id, { assignee: assignee.trim() || null }));
  };

  return (
    <header className="case-header">
      <div className="case-title-row">
        <h1>
          <span className="muted">#{kase.number}</span> {kase.title}
        </h1>
        <div className="case-badges">
          <SeverityBadge severity={kase.severity} />
          <span data-testid="case-status">
            <StatusBadge status={kase.status} />
          </span>
          {kase.resolution && <span className="badge">{humanize(kase.resolution)}</span>}
        </div>
      </div>
      {kase.mergedInto && (
        <p className="notice" data-testid="merged-into">
          Merged into <CaseLink id={kase.mergedInto} cases={cases} />: its alerts, observables, tasks and
          evidence are there now.
        </p>
      )}
      <dl className="facts">
        <div>
          <dt>Opened</dt>
          <dd>{formatTime(kase.createdAt)}</dd>
        </div>
        <div>
          <dt>Priority</dt>
          <dd>P{kase.priority}</dd>
        </div>
        {kase.caseType && (
          <div>
            <dt>Type</dt>
            <dd>{humanize(kase.caseType)}</dd>
          </div>
        )}
        {kase.sla.map((c) => (
          <div key={c.name} className={c.breached ? 'breached' : undefined}>
            <dt>SLA {c.name}</dt>
            <dd>
              {c.stoppedAt
                ? `met in ${formatDuration(c.stoppedAt - c.startedAt)}`
                : c.breached
                  ? `breached (due ${formatTime(c.dueAt)})`
                  : `${formatDuration(c.remainingMs)} left`}
            </dd>
          </div>
        ))}
      </dl>
      <Problem error={error} />
      <div className="case-actions">
        <fieldset disabled={busy}>
          <legend>Move to</legend>
          {kase.allowedTransitions.includes('closed') && resolutions.length > 0 && (
            <label>
              Resolution
              <select value={resolution} onChange={(e) => setResolution(e.target.value)}>
                <option value="">Choose…</option>
                {resolutions.map((r) => (
                  <option key={r} value={r}>
                    {humanize(r)}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            Reason
            <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="optional" />
          </label>
          {kase.allowedTransitions.map((to) => (
            <button
              key={to}
              type="button"
              className={to === 'closed' ? 'danger' : 'primary'}
              disabled={to === 'closed' && resolutions.length > 0 && !resolution}
              onClick={() => void move(to)}
            >
              {to === 'closed' ? 'Close case' : humanize(to)}
            </button>
          ))}
        </fieldset>
        <form onSubmit={assign}>
          <fieldset disabled={busy}>
            <legend>Assignee</legend>
            <label>
              <span className="visually-hidden">Assignee</span>
              <input
                value={assignee}
                onChange={(e) => setAssignee(e.target.value)}
                placeholder="unassigned"
              />
            </label>
            <button type="submit">Assign</button>
          </fieldset>
        </form>
      </div>
    </header>
  );
}
