import { useState, type FormEvent } from 'react';
import { casesApi } from '../../api-client/client.js';
import type { FeedState } from '../../api-client/case-events.js';
import type { CaseEvent } from '../../api-client/types.js';
import { Markdown } from '../../components/markdown.js';
import { Problem } from '../../components/problem.js';
import { formatTime, humanize } from '../../format.js';

const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

/** One line saying what happened; comments get their Markdown body (rendered safely) below. */
function describe(event: CaseEvent): string {
  const d = event.data;
  switch (event.type) {
    case 'status_changed':
      return `moved the case from ${humanize(text(d.from))} to ${humanize(text(d.to))}${
        d.resolution ? ` (${humanize(text(d.resolution))})` : ''
      }${d.reason ? `: ${text(d.reason)}` : ''}`;
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
    case 'task_added':
      return `added task ${text(d.title)}`;
    case 'task_updated': {
      const state = (d.changes as { state?: { to?: unknown } } | undefined)?.state?.to;
      return `updated task ${text(d.title)}${state ? `: ${humanize(text(state))}` : ''}`;
    }
    case 'observable_verdict_set':
      return `marked ${text(d.value)} ${text(d.verdict)}`;
    case 'alert_added':
      return `added alert ${text(d.title ?? d.alertId)}${d.reason ? `: ${text(d.reason)}` : ''}`;
    case 'alert_removed':
      return `moved alert ${text(d.title ?? d.alertId)} to another case`;
    case 'alerts_added': {
      const alerts = Array.isArray(d.alerts) ? (d.alerts as Array<{ reason?: unknown }>) : [];
      const reasons = [...new Set(alerts.map((a) => a.reason).filter((r) => r !== undefined))];
      return `added ${alerts.length} alert${alerts.length === 1 ? '' : 's'}${
        reasons.length ? `: ${reasons.map(text).join('; ')}` : ''
      }`;
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
}

/** The case's history, newest first, following the live feed, with the comment box on top. */
export function CaseTimeline({ caseId, events, feed, onPosted }: TimelineProps) {
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
              <strong>{event.actor.name}</strong> {describe(event)}
              <time className="muted" dateTime={new Date(event.at).toISOString()}>
                {formatTime(event.at)}
              </time>
            </div>
            {event.type === 'comment_added' && <Markdown text={text(event.data.body)} />}
          </li>
        ))}
      </ol>
    </section>
  );
}
