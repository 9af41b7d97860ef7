import { useRef, useState, type FormEvent } from 'react';
import { casesApi } from '../../api-client/client.js';
import type { CaseAlert, Evidence } from '../../api-client/types.js';
import { SeverityBadge } from '../../components/badges.js';
import { Problem } from '../../components/problem.js';
import { formatBytes, formatTime } from '../../format.js';

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

/** The alerts grouped into this case. */
export function CaseAlerts({ alerts }: { alerts: CaseAlert[] }) {
  return (
    <section className="panel" aria-labelledby="case-alerts-title">
      <h2 id="case-alerts-title">Alerts</h2>
      {alerts.length === 0 ? (
        <p className="muted">No alerts.</p>
      ) : (
        <ul className="plain-list">
          {alerts.map((a) => (
            <li key={a.id}>
              <SeverityBadge severity={a.severity} /> {a.title}{' '}
              <span className="muted small">
                {a.source} · {formatTime(a.time)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
