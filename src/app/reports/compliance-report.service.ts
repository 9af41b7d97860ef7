import type { AppContext } from '../context.js';
import { deriveMilestones, type LifecycleEvent } from '../../domain/cases/case-milestones.js';
import { computeResponseMetrics, type ResponseMetrics } from '../../domain/cases/response-metrics.js';
import { invalid } from '../../domain/shared/errors.js';
import { queryAuditEntries } from '../../store/audit/audit-query.repository.js';
import { listLifecycleEventsOfCasesActiveIn } from '../../store/cases/case-milestones.repository.js';
import { listCaseSummaries } from '../../store/cases/case-query.repository.js';
import { tableExists } from '../../store/table-exists.js';
import { verifyAuditLog, type AuditVerifyReport } from '../audit/audit-verify.service.js';
import { auditSignerOf } from '../audit/audit-checkpoint.service.js';
import { NIST_PHASES, SOC2_CRITERIA, factMatches, type EvidenceRule } from './compliance-mapping.js';

/** What the log records a refused request under: no or bad credentials, no permission, a refused state change. */
const REFUSAL_ACTIONS: ReadonlySet<string> = new Set([
  'auth.unauthenticated',
  'auth.forbidden',
  'auth.login_failed',
  'request.conflict',
]);

export interface ControlEvidence {
  id: string;
  title: string;
  description: string;
  /** Count of each matching fact recorded in the period. */
  evidence: Array<{ fact: string; count: number }>;
  status: 'evidenced' | 'no_evidence';
}

export interface IncidentSummary {
  caseId: string;
  number: number | null;
  title: string | null;
  severity: string | null;
  createdAt: number | null;
  acknowledgedAt: number | null;
  containedAt: number | null;
  resolvedAt: number | null;
  status: string;
}

export interface RecordedAction {
  seq: number;
  at: number;
  by: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

export interface ComplianceReport {
  period: { from: number; to: number };
  generatedAt: number;
  sources: { auditEntries: number; caseTimeline: boolean };
  /** Cases merged into another are no incidents of their own: only counted, as `merged`. */
  incidents: { handled: number; merged: number; items: IncidentSummary[]; metrics: ResponseMetrics | null };
  soc2: ControlEvidence[];
  nist: ControlEvidence[];
  approvals: { approved: number; rejected: number; breakGlass: number; items: RecordedAction[] };
  playbookChanges: RecordedAction[];
  playbookTests: RecordedAction[];
  accessRefusals: number;
  auditIntegrity: Pick<
    AuditVerifyReport,
    'ok' | 'entriesChecked' | 'checkpointsChecked' | 'lastSeq' | 'problems'
  >;
}

/** Lists are capped so a year's report stays readable; counts are always complete. */
const LIST_CAP = 500;

/**
 * Maps what the audit log and case timelines hold for a period to SOC 2 CC7.3-CC7.5 and the NIST SP 800-61
 * phases. Reads only tables that exist, so it works on installations without every capability.
 */
export async function buildComplianceReport(
  ctx: Pick<AppContext, 'config' | 'store' | 'clock'>,
  period: { from: number; to: number },
): Promise<ComplianceReport> {
  if (!(period.from < period.to)) {
    throw invalid('the period is empty: --from must be before --to', [
      { path: 'from', message: 'before to' },
    ]);
  }
  const db = ctx.store.db;
  const tables = new Set<string>();
  for (const name of ['cases', 'case_events']) if (await tableExists(db, name)) tables.add(name);
  const facts = new Map<string, number>();
  const bump = (fact: string) => facts.set(fact, (facts.get(fact) ?? 0) + 1);
  const approvals = { approved: 0, rejected: 0, breakGlass: 0, items: [] as RecordedAction[] };
  const playbookChanges: RecordedAction[] = [];
  const playbookTests: RecordedAction[] = [];
  let accessRefusals = 0;
  let auditEntries = 0;

  for (let afterSeq = 0; ;) {
    const page = await queryAuditEntries(
      db,
      { from: period.from, to: period.to },
      { afterSeq, limit: 2_000 },
    );
    if (page.length === 0) break;
    for (const e of page) {
      auditEntries += 1;
      bump(e.action);
      const recorded: RecordedAction = {
        seq: e.seq,
        at: e.at,
        by: `${e.actor.name} (${e.actor.type})`,
        action: e.action,
        target: `${e.target.type}:${e.target.id}`,
        details: e.details,
      };
      if (REFUSAL_ACTIONS.has(e.action)) accessRefusals += 1;
      if (e.action === 'approval.decided' || e.action === 'approval.break_glass') {
        if (e.action === 'approval.break_glass') approvals.breakGlass += 1;
        if (e.details.decision === 'rejected') approvals.rejected += 1;
        else approvals.approved += 1;
        if (approvals.items.length < LIST_CAP) approvals.items.push(recorded);
      }
      const isTest =
        /^playbook\.(test|dry)/.test(e.action) || (e.action === 'run.started' && e.details.dryRun === true);
      if (isTest) {
        bump('playbook.tested');
        if (playbookTests.length < LIST_CAP) playbookTests.push(recorded);
      } else if (e.action.startsWith('playbook.') && playbookChanges.length < LIST_CAP) {
        playbookChanges.push(recorded);
      }
      if (
        e.action === 'case.status_changed' &&
        !tables.has('case_events') &&
        typeof e.details.to === 'string'
      ) {
        bump(`status:${e.details.to}`);
      }
    }
    afterSeq = page[page.length - 1]?.seq ?? afterSeq;
  }

  const incidents = await readIncidents(ctx, period, tables, bump);
  const mapRules = (rules: readonly EvidenceRule[]): ControlEvidence[] =>
    rules.map((rule) => {
      const evidence = rule.facts.map((pattern) => ({
        fact: pattern,
        count: [...facts].filter(([fact]) => factMatches(pattern, fact)).reduce((n, [, c]) => n + c, 0),
      }));
      return {
        id: rule.id,
        title: rule.title,
        description: rule.description,
        evidence,
        status: evidence.some((e) => e.count > 0) ? 'evidenced' : 'no_evidence',
      };
    });
  const integrity = await verifyAuditLog(db, { signer: auditSignerOf(ctx) });
  return {
    period,
    generatedAt: ctx.clock.now(),
    sources: { auditEntries, caseTimeline: tables.has('case_events') },
    incidents,
    soc2: mapRules(SOC2_CRITERIA),
    nist: mapRules(NIST_PHASES),
    approvals,
    playbookChanges,
    playbookTests,
    accessRefusals,
    auditIntegrity: {
      ok: integrity.ok,
      entriesChecked: integrity.entriesChecked,
      checkpointsChecked: integrity.checkpointsChecked,
      lastSeq: integrity.lastSeq,
      problems: integrity.problems,
    },
  };
}

/** Cases with any timeline event in the period, and their phase times read off the whole timeline. */
async function readIncidents(
  ctx: Pick<AppContext, 'store'>,
  period: { from: number; to: number },
  tables: Set<string>,
  bump: (fact: string) => void,
): Promise<ComplianceReport['incidents']> {
  if (!tables.has('case_events')) return { handled: 0, merged: 0, items: [], metrics: null };
  const events = await listLifecycleEventsOfCasesActiveIn(ctx.store.db, period);
  const byCase = new Map<string, LifecycleEvent[]>();
  // A merge closes the merged case (as a duplicate) with the survivor named in the event: neither an
  // acknowledgement nor a resolution, so such cases stay out of the incidents and their mean times.
  const merged = new Set<string>();
  for (const { caseId, ...e } of events) {
    const mergedAway = e.type === 'status_changed' && typeof e.data.mergedInto === 'string';
    if (mergedAway) merged.add(caseId);
    if (
      !mergedAway &&
      e.type === 'status_changed' &&
      e.at >= period.from &&
      e.at < period.to &&
      typeof e.data.to === 'string'
    ) {
      bump(`status:${e.data.to}`);
    }
    const list = byCase.get(caseId) ?? [];
    list.push(e);
    byCase.set(caseId, list);
  }
  for (const caseId of merged) byCase.delete(caseId);
  const info = new Map<string, { number: number; title: string; severity: string }>();
  if (tables.has('cases') && byCase.size > 0) {
    const ids = [...byCase.keys()].slice(0, LIST_CAP);
    for (const row of await listCaseSummaries(ctx.store.db, ids)) info.set(row.id, row);
  }
  const milestones = [...byCase.entries()].map(([caseId, list]) => ({ caseId, m: deriveMilestones(list) }));
  return {
    handled: milestones.length,
    merged: merged.size,
    metrics: computeResponseMetrics(milestones.map((x) => x.m)),
    items: milestones.slice(0, LIST_CAP).map(({ caseId, m }) => ({
      caseId,
      number: info.get(caseId)?.number ?? null,
      title: info.get(caseId)?.title ?? null,
      severity: info.get(caseId)?.severity ?? null,
      createdAt: m.createdAt,
      acknowledgedAt: m.acknowledgedAt,
      containedAt: m.containedAt,
      resolvedAt: m.resolvedAt,
      status: m.status,
    })),
  };
}
