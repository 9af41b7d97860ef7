import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { followCaseEvents, type FeedState } from '../api-client/case-events.js';
import { casesApi } from '../api-client/client.js';
import type { CaseEvent } from '../api-client/types.js';
import { Markdown } from '../components/markdown.js';
import { Problem } from '../components/problem.js';
import { Link } from '../router.js';
import { useAsync } from '../use-async.js';
import { useCases } from '../use-cases.js';
import { CaseAlerts, CaseEvidence } from './case/case-evidence.js';
import { CaseHeader } from './case/case-header.js';
import { CaseObservables } from './case/case-observables.js';
import { CaseTasks } from './case/case-tasks.js';
import { CaseTimeline } from './case/case-timeline.js';

/** The whole timeline so far, page by page. */
async function loadTimeline(id: string): Promise<CaseEvent[]> {
  const all: CaseEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await casesApi.timeline(id, after);
    all.push(...page.items);
    if (!page.nextAfter) return all;
    after = page.nextAfter;
  }
}

/** Which panel a timeline event makes stale, so a change by anyone refreshes what it touched. */
const STALE: Array<[RegExp, 'case' | 'tasks' | 'observables' | 'evidence' | 'alerts']> = [
  [/^(status_changed|case_updated|case_merged|sla_breached)$/, 'case'],
  [/^task_/, 'tasks'],
  [/^observable/, 'observables'],
  [/^evidence_added$/, 'evidence'],
  // `alerts_added` (one event per ingest batch and case), `alert_added` (a moved alert, older ingests), `alert_removed`.
  [/^alerts?_/, 'alerts'],
  // A merge brings the merged case's alerts, observables, tasks and evidence here.
  [/^case_merged$/, 'alerts'],
  [/^case_merged$/, 'observables'],
  [/^case_merged$/, 'tasks'],
  [/^case_merged$/, 'evidence'],
];

/** Ids of the cases an event names without their number (a merge names the merged case's number itself). */
const namedCases = (event: CaseEvent): string[] =>
  [event.data.mergedInto, event.data.fromCaseId, event.data.toCaseId].filter(
    (v): v is string => typeof v === 'string',
  );

export function CaseDetailPage({ id }: { id: string }) {
  const kase = useAsync(() => casesApi.get(id), [id]);
  const tasks = useAsync(() => casesApi.tasks(id), [id]);
  const observables = useAsync(() => casesApi.observables(id), [id]);
  const evidence = useAsync(() => casesApi.evidence(id), [id]);
  const alerts = useAsync(() => casesApi.alerts(id), [id]);
  const [events, setEvents] = useState<CaseEvent[]>([]);
  const [feed, setFeed] = useState<FeedState>();
  const [timelineError, setTimelineError] = useState<unknown>();
  // Cases the page names by id: where this one was merged, and those its timeline mentions.
  const cases = useCases([kase.data?.mergedInto, ...events.flatMap(namedCases)]);
  const alertTitles = useMemo(
    () => new Map((alerts.data?.items ?? []).map((a) => [a.id, a.title])),
    [alerts.data],
  );

  const reloaders = {
    case: kase.reload,
    tasks: tasks.reload,
    observables: observables.reload,
    evidence: evidence.reload,
    alerts: alerts.reload,
  };
  const addEvent = useCallback((event: CaseEvent) => {
    setEvents((list) => (list.some((e) => e.id === event.id) ? list : [...list, event]));
  }, []);

  const reloadersRef = useRef(reloaders);
  reloadersRef.current = reloaders;

  useEffect(() => {
    let stop: (() => void) | undefined;
    let cancelled = false;
    setEvents([]);
    setFeed(undefined);
    // History first, then follow from its last event: everything the feed brings after that is new, and makes
    // the panels it touched stale.
    void loadTimeline(id).then(
      (history) => {
        if (cancelled) return;
        setEvents(history);
        stop = followCaseEvents(
          id,
          history.at(-1)?.id,
          (event) => {
            addEvent(event);
            for (const [pattern, panel] of STALE) if (pattern.test(event.type)) reloadersRef.current[panel]();
          },
          setFeed,
        );
      },
      (err: unknown) => !cancelled && setTimelineError(err),
    );
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [id, addEvent]);

  if (kase.error && !kase.data) {
    return (
      <section>
        <p>
          <Link to="/cases">← Cases</Link>
        </p>
        <Problem error={kase.error} />
      </section>
    );
  }
  if (!kase.data) return <p aria-busy="true">Loading case…</p>;
  const c = kase.data;
  return (
    <article className="case-detail">
      <p className="crumbs">
        <Link to="/cases">← Cases</Link>
      </p>
      <CaseHeader key={`${c.id}:${c.updatedAt}`} kase={c} cases={cases} onChanged={kase.reload} />
      <div className="case-columns">
        <div className="case-main">
          {c.description && (
            <section className="panel" aria-labelledby="description-title">
              <h2 id="description-title">Description</h2>
              <Markdown text={c.description} />
            </section>
          )}
          <Problem error={timelineError} />
          <CaseTimeline
            caseId={c.id}
            events={events}
            feed={feed}
            onPosted={addEvent}
            names={{ alertTitles, cases }}
          />
        </div>
        <div className="case-side">
          <CaseTasks caseId={c.id} tasks={tasks.data ?? []} onChanged={tasks.reload} />
          <Problem error={tasks.error} />
          <CaseObservables
            caseId={c.id}
            observables={observables.data ?? []}
            onChanged={observables.reload}
          />
          <Problem error={observables.error} />
          <CaseAlerts caseId={c.id} list={alerts.data} mergedInto={c.mergedInto} cases={cases} />
          <Problem error={alerts.error} />
          <CaseEvidence caseId={c.id} evidence={evidence.data ?? []} onChanged={evidence.reload} />
          <Problem error={evidence.error} />
        </div>
      </div>
    </article>
  );
}
