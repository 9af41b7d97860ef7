import { useRef, useState, type FormEvent } from 'react';
import { casesApi } from '../../api-client/client.js';
import type { CaseAlertList, CaseDetail, Evidence } from '../../api-client/types.js';
import { SeverityBadge } from '../../components/badges.js';
import { CaseLink, decisionInShort } from '../../components/grouping.js';
import { Problem } from '../../components/problem.js';
import { formatBytes, formatTime } from '../../format.js';
import { Link } from '../../router.js';

/** Uploads one file as evidence; the server stores it by SHA-256 and puts it on the timeline. */
function EvidenceUpload({ caseId, onUploaded }: { caseId: string; onUploaded: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [description, setDescription] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const file = input.current?.files?.[0];
    if (!file) return;
    setBusy(true);
    setError(undefined);
    try {
      await casesApi.uploadEvidence(caseId, file, description.trim() || undefined);
      if (input.current) input.current.value = '';
      setDescription('');
      onUploaded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} className="upload">
      <fieldset disabled={busy}>
        <label>
          Evidence file
          <input ref={input} type="file" required />
        </label>
        <label>
          Description
          <input value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <button type="submit">Upload</button>
      </fieldset>
      <Problem error={error} />
    </form>
  );
}

/** Evidence files (downloads are recorded on the timeline by the server). */
export function CaseEvidence({
  caseId,
  evidence,
  onChanged,
}: {
  caseId: string;
  evidence: Evidence[];
  onChanged: () => void;
}) {
  return (
    <section className="panel" aria-labelledby="evidence-title">
      <h2 id="evidence-title">Evidence</h2>
      <EvidenceUpload caseId={caseId} onUploaded={onChanged} />
      {evidence.length === 0 ? (
        <p className="muted">No evidence files.</p>
      ) : (
        <ul className="plain-list">
          {evidence.map((e) => (
            <li key={e.id}>
              <a href={casesApi.evidenceUrl(caseId, e.id)} download={e.filename}>
                {e.filename}
              </a>{' '}
              <span className="muted small">
                {formatBytes(e.size)} · {e.createdBy} · {formatTime(e.createdAt)}
              </span>
              {e.description && <div className="small">{e.description}</div>}
              <div className="muted small break" title="SHA-256">
                <code>{e.sha256}</code>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * The alerts grouped into this case, each with why it joined (in short; the alert's page says it in full),
 * how often it was seen, and a link to it. The API lists the newest 500; the alerts page pages through all.
 */
export function CaseAlerts({
  caseId,
  list,
  mergedInto,
  cases,
}: {
  caseId: string;
  list: CaseAlertList | undefined;
  mergedInto: string | null;
  cases: ReadonlyMap<string, CaseDetail>;
}) {
  const alerts = list?.items ?? [];
  const all = `/alerts?caseId=${encodeURIComponent(caseId)}`;
  return (
    <section className="panel" aria-labelledby="case-alerts-title">
      <h2 id="case-alerts-title">Alerts</h2>
      {list && list.total > alerts.length && (
        <p className="notice" data-testid="case-alerts-capped">
          Showing {alerts.length} of {list.total} — <Link to={all}>view all</Link>
        </p>
      )}
      {alerts.length === 0 ? (
        <p className="muted">
          No alerts.
          {mergedInto && (
            <>
              {' '}
              This case was merged into <CaseLink id={mergedInto} cases={cases} />, which holds its alerts
              now.
            </>
          )}
        </p>
      ) : (
        <ul className="plain-list" data-testid="case-alerts">
          {alerts.map((a) => {
            const short = decisionInShort(a.correlation, caseId);
            return (
              <li key={a.id}>
                <div className="alert-line">
                  <SeverityBadge severity={a.severity} />
                  <Link to={`/alerts/${encodeURIComponent(a.id)}`}>{a.title}</Link>
                  {a.count > 1 && (
                    <span className="badge" title={`seen ${a.count} times, last ${formatTime(a.lastSeen)}`}>
                      ×{a.count}
                    </span>
                  )}
                </div>
                <div className="muted small">
                  <span className="decision" title={a.correlation?.reason}>
                    <span className="decision-icon" aria-hidden="true">
                      {short.icon}
                    </span>
                    {short.text}
                  </span>
                  {' · '}
                  {a.source} · {formatTime(a.time)}
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {list && list.total > 0 && (
        <p className="small">
          <Link to={all}>All alerts of this case in the alerts list</Link>
        </p>
      )}
    </section>
  );
}
