import { useState, type FormEvent, type ReactNode } from 'react';
import { casesApi } from '../../api-client/client.js';
import type { FeedState } from '../../api-client/case-events.js';
import type { CaseDetail, CaseEvent } from '../../api-client/types.js';
import { Markdown } from '../../components/markdown.js';
import { Problem } from '../../components/problem.js';
import { formatTime, humanize } from '../../format.js';
import { Link } from '../../router.js';

const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

/** What the timeline names an alert, case and case number by: the events carry ids, these give the rest. */
export interface Names {
  /**
   * Titles of the case's alerts, by id: the 500 newest, as the page reads them. Others (older, or moved
   * since) show by id.
   */
  alertTitles: ReadonlyMap<string, string>;
  cases: ReadonlyMap<string, CaseDetail>;
}

/** The first alerts of a batch shown in its entry; the rest on request (a batch may bring 1,000). */
const ALERTS_SHOWN = 5;

function AlertRef({ id, title }: { id: string; title: string | undefined }) {
  // An id's end: ids made in the same second start alike.
  return (
    <Link to={`/alerts/${encodeURIComponent(id)}`} title={title ? undefined : id}>
      {title ?? `alert …${id.slice(-8)}`}
    </Link>
  );
}

/** Each alert a batch added, by title, with why it joined. */
function AddedAlerts({
  alerts,
  names,
}: {
  alerts: Array<{ alertId?: unknown; reason?: unknown }>;
  names: Names;
}) {
  const [all, setAll] = useState(false);
  const shown = all ? alerts : alerts.slice(0, ALERTS_SHOWN);
  return (
    <ul className="event-alerts">
      {shown.map((a, i) => {
        const id = text(a.alertId);
        return (
          <li key={`${id}:${i}`}>
            <AlertRef id={id} title={names.alertTitles.get(id)} />
            {a.reason !== undefined && <span className="muted"> — {text(a.reason)}</span>}
          </li>
        );
      })}
      {alerts.length > shown.length && (
        <li>
          <button type="button" className="link" onClick={() => setAll(true)}>
            and {alerts.length - shown.length} more
          </button>
        </li>
      )}
    </ul>
  );
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What a merge moved, as its event records it: " (3 alerts, 2 observables and 1 task moved here)". */
function movedText(moved: unknown): string {
  if (!moved || typeof moved !== 'object') return '';
  const m = moved as Record<string, unknown>;
  const parts = (
    [
      ['alerts', 'alert'],
      ['observables', 'observable'],
      ['tasks', 'task'],
      ['evidence', 'evidence file'],
    ] as const
  ).flatMap(([key, one]) => (typeof m[key] === 'number' && m[key] > 0 ? [plural(m[key], one)] : []));
  if (parts.length === 0) return ' (nothing moved)';
  const list = parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)!}`;
  return ` (${list} moved here)`;
}

function CaseRef({ id, number, names }: { id: string; number: unknown; names: Names }) {
  const known = names.cases.get(id)?.number ?? (typeof number === 'number' ? number : undefined);
  return (
    <Link to={`/cases/${encodeURIComponent(id)}`}>
      {known === undefined ? 'another case' : `case #${known}`}
    </Link>
  );
}

/** One line saying what happened; comments get their Markdown body (rendered safely) below. */
function describe(event: CaseEvent, names: Names): ReactNode {
  const d = event.data;
  switch (event.type) {
    case 'status_changed':
      return (
        <>
          {`moved the case from ${humanize(text(d.from))} to ${humanize(text(d.to))}${
            d.resolution ? ` (${humanize(text(d.resolution))})` : ''
          }${d.reason ? `: ${text(d.reason)}` : ''}`}
          {typeof d.mergedInto === 'string' && (
            <>
              {': merged into '}
              <CaseRef id={d.mergedInto} number={undefined} names={names} />
            </>
          )}
        </>
      );
    case 'comment_added':
      return 'commented';
    case 'case_updated': {
      const changes = (d.changes as Record<string, { to?: unknown }> | undefined) ?? {};
      const parts = Object.entries(changes).map(([key, change]) =>
        key === 'description'
          ? 'the description'
          : `${humanize(key)} to ${change.to === null ? 'none' : text(change.to)}`,
      );
      return `changed ${parts.join(', ') || 'the case'}`;
    }
    case 'case_merged':
      return typeof d.mergedId === 'string' ? (
        <>
          merged <CaseRef id={d.mergedId} number={d.mergedNumber} names={names} /> into this one
          {movedText(d.moved)}
        </>
      ) : (
        'merged another case into this one'
      );
    case 'task_added':
      return `added task ${text(d.title)}`;
    case 'task_updated': {
      const state = (d.changes as { state?: { to?: unknown } } | undefined)?.state?.to;
      return `updated task ${text(d.title)}${state ? `: ${humanize(text(state))}` : ''}`;
    }
    case 'observable_verdict_set':
      return `marked ${text(d.value)} ${text(d.verdict)}`;
    case 'alert_added': {
      const id = text(d.alertId);
      return (
        <>
          added alert{' '}
          <AlertRef id={id} title={typeof d.title === 'string' ? d.title : names.alertTitles.get(id)} />
          {typeof d.fromCaseId === 'string' && (
            <>
              {' from '}
              <CaseRef id={d.fromCaseId} number={undefined} names={names} />
            </>
          )}
          {d.reason && d.reason !== 'moved' ? `: ${text(d.reason)}` : ''}
        </>
      );
    }
    case 'alert_removed': {
      const id = text(d.alertId);
      return (
        <>
          moved alert <AlertRef id={id} title={typeof d.title === 'string' ? d.title : undefined} /> to{' '}
          {typeof d.toCaseId === 'string' ? (
            <CaseRef id={d.toCaseId} number={undefined} names={names} />
          ) : (
            'another case'
          )}
        </>
      );
    }
    case 'alerts_added': {
      const alerts = Array.isArray(d.alerts)
        ? (d.alerts as Array<{ alertId?: unknown; reason?: unknown }>)
        : [];
      return `added ${plural(alerts.length, 'alert')}`;
    }
    case 'evidence_added':
    case 'evidence_downloaded':
      return `${event.type === 'evidence_added' ? 'added' : 'downloaded'} evidence ${text(d.filename)}`;
    default:
      return humanize(event.type);
  }
}

const FEED_LABEL: Record<FeedState, string> = {
  live: 'Live',
  polling: 'Refreshing every few seconds',
  reconnecting: 'Reconnecting…',
};

interface TimelineProps {
  caseId: string;
  events: CaseEvent[];
  feed: FeedState | undefined;
  onPosted: (event: CaseEvent) => void;
  names: Names;
}

/** The case's history, newest first, following the live feed, with the comment box on top. */
export function CaseTimeline({ caseId, events, feed, onPosted, names }: TimelineProps) {
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!comment.trim()) return;
    setBusy(true);
    setError(undefined);
    try {
      onPosted(await casesApi.comment(caseId, comment));
      setComment('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="timeline-title">
      <div className="panel-head">
        <h2 id="timeline-title">Timeline</h2>
        {feed && (
          <span className={`feed feed-${feed}`} role="status">
            {FEED_LABEL[feed]}
          </span>
        )}
      </div>
      <form className="comment-form" onSubmit={(e) => void submit(e)}>
        <label htmlFor="comment">Add a comment (Markdown)</label>
        <textarea id="comment" rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />
        <Problem error={error} />
        <button type="submit" className="primary" disabled={busy || !comment.trim()}>
          Comment
        </button>
      </form>
      <ol className="timeline" aria-live="polite" data-testid="timeline">
        {[...events].reverse().map((event) => (
          <li key={event.id} className={`event event-${event.type}`}>
            <div className="event-head">
              <strong>{event.actor.name}</strong> <span>{describe(event, names)}</span>
              <time className="muted" dateTime={new Date(event.at).toISOString()}>
                {formatTime(event.at)}
              </time>
            </div>
            {event.type === 'comment_added' && <Markdown text={text(event.data.body)} />}
            {event.type === 'alerts_added' && Array.isArray(event.data.alerts) && (
              <AddedAlerts
                alerts={event.data.alerts as Array<{ alertId?: unknown; reason?: unknown }>}
                names={names}
              />
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
