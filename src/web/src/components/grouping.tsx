import type { ReactNode } from 'react';
import type { AlertOrigin, Correlation, NamedCase } from '../api-client/types.js';
import { formatWindow, observableType } from '../format.js';
import { Link } from '../router.js';

/** A case as a link by its number (`#12`); by its id's start until its number is known. */
export function CaseLink({ id, cases }: { id: string; cases: ReadonlyMap<string, NamedCase> }) {
  const kase = cases.get(id);
  return (
    <Link to={`/cases/${encodeURIComponent(id)}`} title={kase?.title ?? id}>
      {kase ? `#${kase.number}` : `case ${id.slice(0, 8)}…`}
    </Link>
  );
}

const within = (c: Correlation): string =>
  c.windowMs === undefined ? '' : ` (within ${formatWindow(c.windowMs)})`;

const matchedText = (c: Correlation): string =>
  (c.matched ?? []).map((m) => `${observableType(m.type)} ${m.value}`).join(' and ');

interface DecisionProps {
  correlation: Correlation | null;
  /** The case the alert is in now. */
  caseId: string | null;
  origin: AlertOrigin;
  cases: ReadonlyMap<string, NamedCase>;
}

/**
 * Why ingest put the alert where it did, in an analyst's words ("Joined case #8: shares IPv4 45.35.1.97 with
 * it (within 24 h)"), and where it went since when that is another case.
 */
export function GroupingDecision({ correlation: c, caseId, origin, cases }: DecisionProps) {
  // Alerts stored before the decision recorded its case are taken to be where it put them.
  const decided = c?.caseId ?? caseId;
  const at = decided ? <CaseLink id={decided} cases={cases} /> : 'a case';
  let sentence: ReactNode;
  if (!c) sentence = caseId ? <>In case {at}; no grouping decision was recorded.</> : 'Not in a case.';
  else if (c.decision === 'new_case') sentence = <>Opened case {at}.</>;
  else if (c.decision === 'duplicate') sentence = 'Repeat of an earlier alert (same fingerprint).';
  else if (c.rule === 'shared_observable' && c.matched?.length)
    sentence = (
      <>
        Joined case {at}: shares {matchedText(c)} with it{within(c)}.
      </>
    );
  else if (c.rule === 'same_rule')
    sentence = (
      <>
        Joined case {at}: same rule {origin.ruleId ?? origin.ruleName ?? ''}
        {within(c)}.
      </>
    );
  else sentence = <>Joined case {at}.</>;
  return (
    <p data-testid="grouping-decision">
      {sentence}
      {c?.caseId && c.caseId !== caseId && (
        <>
          {' '}
          <Since from={c.caseId} now={caseId} cases={cases} />
        </>
      )}
    </p>
  );
}

/** Where an alert went after ingest put it in case `from`: moved by hand, or carried along by a merge. */
function Since({
  from,
  now,
  cases,
}: {
  from: string;
  now: string | null;
  cases: ReadonlyMap<string, NamedCase>;
}) {
  const mergedInto = cases.get(from)?.mergedInto;
  if (mergedInto)
    return (
      <>
        Its case <CaseLink id={from} cases={cases} /> was since merged into{' '}
        <CaseLink id={mergedInto} cases={cases} />
        {now && now !== mergedInto && (
          <>
            , and the alert moved to <CaseLink id={now} cases={cases} />
          </>
        )}
        .
      </>
    );
  if (!now) return <>It has since been taken out of that case.</>;
  return (
    <>
      Since moved to case <CaseLink id={now} cases={cases} />.
    </>
  );
}

/** The decision in a word or two and its matched value, for a list of a case's alerts. */
export function decisionInShort(c: Correlation | null, caseId: string): { icon: string; text: string } {
  if (!c) return { icon: '·', text: 'no decision recorded' };
  if (c.caseId && c.caseId !== caseId) return { icon: '↪', text: 'moved here' };
  if (c.decision === 'new_case') return { icon: '★', text: 'opened the case' };
  if (c.decision === 'duplicate') return { icon: '⟳', text: 'repeat' };
  if (c.rule === 'shared_observable' && c.matched?.length)
    return { icon: '⇄', text: `shares ${matchedText(c)}` };
  if (c.rule === 'same_rule') return { icon: '≡', text: 'same rule' };
  return { icon: '→', text: 'joined' };
}
