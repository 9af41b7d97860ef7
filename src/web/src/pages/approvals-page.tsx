import { useState } from 'react';
import { approvalsApi, runsApi } from '../api-client/automation.js';
import { APPROVAL_STATUSES, type Approval } from '../api-client/automation-types.js';
import { StatusBadge } from '../components/badges.js';
import { Problem } from '../components/problem.js';
import { formatTime } from '../format.js';
import { Link, navigate, queryOf } from '../router.js';
import { useAsync } from '../use-async.js';

/** One pending request: what the run wants to do, and the approve/reject decision with a comment. */
function ApprovalCard({ approval, onDecided }: { approval: Approval; onDecided: () => void }) {
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const decide = async (decision: 'approved' | 'rejected') => {
    setBusy(true);
    setError(undefined);
    try {
      await approvalsApi.decide(approval.id, decision, comment.trim() || undefined);
      onDecided();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  // The approval says what is asked; its run says which playbook asks and why it started.
  const run = useAsync(() => runsApi.get(approval.runId), [approval.runId]);
  const overdue = approval.deadlineAt !== null && approval.deadlineAt < Date.now();
  const commentId = `comment-${approval.id}`;
  return (
    <li className="panel">
      <div className="panel-head">
        <h2>{approval.message}</h2>
        <StatusBadge status={approval.status} />
      </div>
      <dl className="facts">
        <div>
          <dt>Run</dt>
          <dd>
            <Link to={`/runs/${encodeURIComponent(approval.runId)}`}>{approval.runId.slice(-12)}</Link> · step{' '}
            <code>{approval.stepId}</code>
          </dd>
        </div>
        {run.data && (
          <div>
            <dt>Playbook</dt>
            <dd>
              <Link to={`/playbooks/${encodeURIComponent(run.data.playbookId)}`}>{run.data.playbookId}</Link>{' '}
              v{run.data.version} · {run.data.triggerType}
              {run.data.caseId && (
                <>
                  {' · '}
                  <Link to={`/cases/${encodeURIComponent(run.data.caseId)}`}>case</Link>
                </>
              )}
            </dd>
          </div>
        )}
        {approval.action && (
          <div>
            <dt>Action</dt>
            <dd>
              <code>{approval.action}</code>
              {approval.input && (
                <pre className="action-input">{JSON.stringify(approval.input, null, 2)}</pre>
              )}
            </dd>
          </div>
        )}
        <div>
          <dt>Requested by</dt>
          <dd>{approval.requestedBy}</dd>
        </div>
        <div>
          <dt>Approvers</dt>
          <dd>
            {approval.approvers.join(', ') || 'any approver'} (quorum {approval.quorum})
          </dd>
        </div>
        <div>
          <dt>Requested</dt>
          <dd>{formatTime(approval.createdAt)}</dd>
        </div>
        <div className={overdue ? 'breached' : undefined}>
          <dt>Deadline</dt>
          <dd>{formatTime(approval.deadlineAt)}</dd>
        </div>
        {approval.escalated && (
          <div className="breached">
            <dt>Escalated</dt>
            <dd>yes</dd>
          </div>
        )}
      </dl>
      {approval.status === 'pending' && (
        <fieldset disabled={busy}>
          <label className="grow" htmlFor={commentId}>
            Comment
            <input id={commentId} value={comment} onChange={(e) => setComment(e.target.value)} />
          </label>
          <button type="button" className="primary" onClick={() => void decide('approved')}>
            Approve
          </button>
          <button type="button" className="danger" onClick={() => void decide('rejected')}>
            Reject
          </button>
        </fieldset>
      )}
      <Problem error={error} />
    </li>
  );
}

/** The approvals inbox: pending requests first; decided ones on request. */
export function ApprovalsPage({ location }: { location: string }) {
  const status = queryOf(location).get('status') ?? 'pending';
  const { data, error, reload } = useAsync(() => approvalsApi.list({ status, limit: 100 }), [status]);
  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title">Approvals</h1>
      <div className="filters">
        <label>
          Status
          <select value={status} onChange={(e) => navigate(`/approvals?status=${e.target.value}`)}>
            {APPROVAL_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Problem error={error} />
      {data && data.items.length === 0 && <p className="muted">No {status} approvals.</p>}
      <ul className="plain-list cards">
        {data?.items.map((a) => (
          <ApprovalCard key={a.id} approval={a} onDecided={reload} />
        ))}
      </ul>
    </section>
  );
}
