import { useState } from 'react';
import { runsApi, type RunAction } from '../api-client/automation.js';
import { TERMINAL_RUN_STATUSES } from '../api-client/automation-types.js';
import { StatusBadge } from '../components/badges.js';
import { Problem } from '../components/problem.js';
import { formatDuration, formatTime } from '../format.js';
import { Link } from '../router.js';
import { useAsync } from '../use-async.js';

const json = (value: unknown): string =>
  value === null || value === undefined ? '' : JSON.stringify(value, null, 2);

/** One run: its steps (every attempt), what it produced, and cancel / pause / resume. */
export function RunDetailPage({ id }: { id: string }) {
  const run = useAsync(() => runsApi.get(id), [id]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [requested, setRequested] = useState<string>();
  const control = async (action: RunAction) => {
    setBusy(true);
    setError(undefined);
    try {
      // Accepted, not done: a worker applies the request at the run's next step.
      const answer = await runsApi.control(id, action);
      setRequested(answer.requested);
      run.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const r = run.data;
  const live = r ? !TERMINAL_RUN_STATUSES.includes(r.status) : false;
  return (
    <section aria-labelledby="run-title">
      <p className="crumbs">
        <Link to="/runs">← Runs</Link>
      </p>
      <Problem error={run.error} />
      {r && (
        <>
          <div className="case-header">
            <div className="case-title-row">
              <h1 id="run-title">
                Run of <Link to={`/playbooks/${encodeURIComponent(r.playbookId)}`}>{r.playbookId}</Link> v
                {r.version}
              </h1>
              <StatusBadge status={r.status} />
            </div>
            <dl className="facts">
              <div>
                <dt>Run id</dt>
                <dd>
                  <code>{r.id}</code>
                </dd>
              </div>
              <div>
                <dt>Trigger</dt>
                <dd>{r.triggerType}</dd>
              </div>
              <div>
                <dt>Started</dt>
                <dd>{formatTime(r.startedAt)}</dd>
              </div>
              <div>
                <dt>Finished</dt>
                <dd>{formatTime(r.finishedAt)}</dd>
              </div>
              {r.caseId && (
                <div>
                  <dt>Case</dt>
                  <dd>
                    <Link to={`/cases/${encodeURIComponent(r.caseId)}`}>open case</Link>
                  </dd>
                </div>
              )}
            </dl>
            <Problem error={error} />
            {requested && (
              <p role="status" className="notice">
                {requested} requested; the run applies it at its next step.
              </p>
            )}
            {live && (
              <fieldset disabled={busy}>
                {r.status === 'paused' ? (
                  <button type="button" onClick={() => void control('resume')}>
                    Resume
                  </button>
                ) : (
                  <button type="button" onClick={() => void control('pause')}>
                    Pause
                  </button>
                )}
                <button type="button" className="danger" onClick={() => void control('cancel')}>
                  Cancel run
                </button>
                <button type="button" onClick={run.reload}>
                  Refresh
                </button>
              </fieldset>
            )}
          </div>
          <section className="panel" aria-labelledby="steps-title">
            <h2 id="steps-title">Steps</h2>
            <table className="grid compact">
              <thead>
                <tr>
                  <th scope="col">Step</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Attempt</th>
                  <th scope="col">Status</th>
                  <th scope="col">Took</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {r.steps.map((s) => (
                  <tr key={`${s.stepPath}:${s.attempt}`}>
                    <td>
                      {s.name} <span className="muted small">{s.stepPath}</span>
                    </td>
                    <td>{s.kind}</td>
                    <td className="num">{s.attempt}</td>
                    <td>
                      <StatusBadge status={s.status} />
                    </td>
                    <td className="nowrap">{formatDuration(s.finishedAt - s.startedAt)}</td>
                    <td>{s.error && `${s.error.code}: ${s.error.message}`}</td>
                  </tr>
                ))}
                {r.steps.length === 0 && (
                  <tr>
                    <td colSpan={6} className="empty">
                      No step has run yet.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </section>
          {(r.output !== null || r.error !== null) && (
            <section className="panel" aria-labelledby="output-title">
              <h2 id="output-title">{r.error !== null ? 'Error' : 'Output'}</h2>
              <pre>
                <code>{json(r.error ?? r.output)}</code>
              </pre>
            </section>
          )}
          <section className="panel" aria-labelledby="events-title">
            <h2 id="events-title">Events</h2>
            {r.events.length === 0 && <p className="muted">No events yet.</p>}
            <ol className="timeline">
              {r.events.map((e, i) => (
                <li key={i} className="event">
                  <div className="event-head">
                    <strong>{e.type}</strong> {e.stepPath && <code>{e.stepPath}</code>}
                    <time className="muted">{formatTime(e.at)}</time>
                  </div>
                </li>
              ))}
            </ol>
          </section>
        </>
      )}
    </section>
  );
}
