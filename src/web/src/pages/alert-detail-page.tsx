import { useState } from 'react';
import { alertsApi } from '../api-client/client.js';
import type { AlertDetail, NamedCase } from '../api-client/types.js';
import { indentJson } from '../api-client/json-text.js';
import { SeverityBadge } from '../components/badges.js';
import { CaseLink, GroupingDecision } from '../components/grouping.js';
import { Problem } from '../components/problem.js';
import { formatTime, humanize, observableType } from '../format.js';
import { Link } from '../router.js';
import { useAsync } from '../use-async.js';
import { useCases } from '../use-cases.js';

/** MITRE's page for a technique id (`T1564.001` → …/techniques/T1564/001/); undefined for anything else. */
const attackUrl = (id: string): string | undefined =>
  /^T\d{4}(\.\d{3})?$/.test(id) ? `https://attack.mitre.org/techniques/${id.replace('.', '/')}/` : undefined;

/** The raw event as the API sent it, byte for byte; indenting on request changes only the white space. */
function RawEvent({ text }: { text: string | undefined }) {
  const [indented, setIndented] = useState(false);
  if (text === undefined) return <p className="muted">The server sent no raw event.</p>;
  // A text line (syslog, CEF) is stored as a JSON string: parsing a string loses nothing.
  if (text.startsWith('"')) {
    return (
      <>
        <p className="muted small">Received as a line of text.</p>
        <pre className="raw-event" data-testid="raw-event">
          {JSON.parse(text) as string}
        </pre>
      </>
    );
  }
  return (
    <>
      <button type="button" onClick={() => setIndented(!indented)}>
        {indented ? 'Show as received' : 'Indent'}
      </button>
      <pre className="raw-event" data-testid="raw-event">
        {indented ? indentJson(text) : text}
      </pre>
    </>
  );
}

function Facts({ alert }: { alert: AlertDetail }) {
  const { origin } = alert;
  const product = [origin.product, origin.vendor && origin.vendor !== origin.product ? origin.vendor : null]
    .filter(Boolean)
    .join(' · ');
  const rule = [origin.ruleId, origin.ruleName].filter(Boolean).join(': ');
  const facts: Array<[string, string]> = [
    ['Source', alert.source],
    ['Product', product || '—'],
    ['Rule', rule || '—'],
    ['Category', alert.category ?? '—'],
    ['Event time', formatTime(alert.time)],
    ['First seen', formatTime(alert.firstSeen)],
    ['Last seen', formatTime(alert.lastSeen)],
    ['Seen', alert.count === 1 ? 'once' : `${alert.count} times`],
    ['Received', formatTime(alert.createdAt)],
    ['Received from', alert.receivedFrom ?? '—'],
  ];
  return (
    <dl className="facts" data-testid="alert-facts">
      {facts.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
      {alert.severityOriginal !== null && (
        <div>
          <dt>Source severity</dt>
          <dd>{alert.severityOriginal}</dd>
        </div>
      )}
    </dl>
  );
}

/** One alert: what it is, why it is in its case, what it carries, and the event as the source sent it. */
export function AlertDetailPage({ id }: { id: string }) {
  const { data: alert, error } = useAsync(() => alertsApi.get(id), [id]);
  const decided = alert?.correlation?.caseId;
  // The alert carries the case it is in (`case`); only a case it has since left is read, for where it went.
  const carried = alert?.case;
  const cases = useCases([carried ? null : alert?.caseId, decided !== alert?.caseId ? decided : null]);
  // Where a merged case's alerts went: read once the decided case says it was merged, unless it is this one.
  const mergedInto = decided ? cases.get(decided)?.mergedInto : undefined;
  const more = useCases([mergedInto !== carried?.id ? mergedInto : null]);
  const known = new Map<string, NamedCase>([...cases, ...more]);
  if (carried) known.set(carried.id, carried);

  if (error && !alert)
    return (
      <section>
        <p className="crumbs">
          <Link to="/alerts">← Alerts</Link>
        </p>
        <Problem error={error} />
      </section>
    );
  if (!alert) return <p aria-busy="true">Loading alert…</p>;
  return (
    <article className="alert-detail">
      <p className="crumbs">
        <Link to="/alerts">← Alerts</Link>
        {alert.caseId && (
          <>
            {' · in case '}
            <CaseLink id={alert.caseId} cases={known} />
          </>
        )}
      </p>
      <header className="case-header">
        <div className="case-title-row">
          <h1>{alert.title}</h1>
          <div className="case-badges">
            <SeverityBadge severity={alert.severity} />
          </div>
        </div>
        <Facts alert={alert} />
      </header>
      <section className="panel" aria-labelledby="grouping-title">
        <h2 id="grouping-title">Why it is in its case</h2>
        <GroupingDecision
          correlation={alert.correlation}
          caseId={alert.caseId}
          origin={alert.origin}
          cases={known}
        />
        {alert.correlation && <p className="muted small">Recorded at ingest: {alert.correlation.reason}</p>}
      </section>
      {alert.description && (
        <section className="panel" aria-labelledby="alert-description-title">
          <h2 id="alert-description-title">Description</h2>
          <p className="pre-wrap">{alert.description}</p>
        </section>
      )}
      <section className="panel" aria-labelledby="alert-observables-title">
        <h2 id="alert-observables-title">Observables</h2>
        {alert.observables.length === 0 ? (
          <p className="muted">No observables.</p>
        ) : (
          <table className="grid compact">
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Value</th>
                <th scope="col">Role</th>
              </tr>
            </thead>
            <tbody>
              {alert.observables.map((o) => (
                <tr key={`${o.type}:${o.value}:${o.role}`}>
                  <td className="nowrap">{observableType(o.type)}</td>
                  <td className="break">
                    <Link
                      to={`/alerts?observable=${encodeURIComponent(o.value)}`}
                      title="Other alerts with this value"
                    >
                      <code>{o.value}</code>
                    </Link>
                    {o.scope && <span className="muted small"> {o.scope}</span>}
                  </td>
                  <td>{humanize(o.role)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="panel" aria-labelledby="techniques-title">
        <h2 id="techniques-title">Techniques</h2>
        {alert.techniques.length === 0 ? (
          <p className="muted">None named by the source.</p>
        ) : (
          <ul className="inline-list">
            {alert.techniques.map((t) => {
              const url = attackUrl(t);
              return (
                <li key={t}>
                  {url ? (
                    <a href={url} target="_blank" rel="noopener noreferrer">
                      {t}
                    </a>
                  ) : (
                    t
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </section>
      <section className="panel" aria-labelledby="raw-title">
        <h2 id="raw-title">Raw event</h2>
        <RawEvent text={alert.rawText} />
      </section>
      <p className="muted small">
        Alert <code>{alert.id}</code> · fingerprint <code>{alert.fingerprint}</code>
        {alert.sourceEventId && (
          <>
            {' '}
            · source event id <code>{alert.sourceEventId}</code>
          </>
        )}
      </p>
    </article>
  );
}
