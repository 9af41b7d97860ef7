import type { ComplianceReport, ControlEvidence, RecordedAction } from './compliance-report.service.js';

const escapeHtml = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const time = (ms: number | null): string =>
  ms === null ? '—' : new Date(ms).toISOString().replace('.000', '');
const duration = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined) return '—';
  const minutes = Math.round(ms / 60_000);
  return minutes < 120 ? `${minutes} min` : `${(minutes / 60).toFixed(1)} h`;
};

function controls(title: string, items: ControlEvidence[]): string {
  const rows = items
    .map(
      (
        c,
      ) => `<tr><td><b>${escapeHtml(c.id)}</b> ${escapeHtml(c.title)}<br><small>${escapeHtml(c.description)}</small></td>
<td class="${c.status}">${c.status === 'evidenced' ? 'Evidenced' : 'No evidence in period'}</td>
<td>${c.evidence.map((e) => `${escapeHtml(e.fact)}: ${e.count}`).join('<br>')}</td></tr>`,
    )
    .join('\n');
  return `<h2>${escapeHtml(title)}</h2><table><tr><th>Control</th><th>Status</th><th>Recorded facts</th></tr>${rows}</table>`;
}

function actions(title: string, items: RecordedAction[]): string {
  if (items.length === 0) return `<h2>${escapeHtml(title)}</h2><p>None recorded in the period.</p>`;
  const rows = items
    .map(
      (a) =>
        `<tr><td>${a.seq}</td><td>${time(a.at)}</td><td>${escapeHtml(a.by)}</td><td>${escapeHtml(a.action)}</td><td>${escapeHtml(a.target)}</td></tr>`,
    )
    .join('\n');
  return `<h2>${escapeHtml(title)}</h2><table><tr><th>Entry</th><th>When</th><th>Who</th><th>What</th><th>On</th></tr>${rows}</table>`;
}

/** A self-contained HTML page (no scripts, no external resources) an auditor can open or print to PDF. */
export function renderComplianceHtml(r: ComplianceReport): string {
  const m = r.incidents.metrics;
  const incidents = r.incidents.items
    .map(
      (i) =>
        `<tr><td>${escapeHtml(i.number ?? i.caseId)}</td><td>${escapeHtml(i.title)}</td><td>${escapeHtml(i.severity)}</td><td>${time(i.createdAt)}</td><td>${duration(i.acknowledgedAt !== null && i.createdAt !== null ? i.acknowledgedAt - i.createdAt : null)}</td><td>${duration(i.containedAt !== null && i.createdAt !== null ? i.containedAt - i.createdAt : null)}</td><td>${duration(i.resolvedAt !== null && i.createdAt !== null ? i.resolvedAt - i.createdAt : null)}</td><td>${escapeHtml(i.status)}</td></tr>`,
    )
    .join('\n');
  const integrity = r.auditIntegrity.ok
    ? `<p class="evidenced">Audit chain verified: ${r.auditIntegrity.entriesChecked} entries, ${r.auditIntegrity.checkpointsChecked} signed checkpoints, last entry ${r.auditIntegrity.lastSeq}.</p>`
    : `<p class="no_evidence">Audit chain BROKEN: ${r.auditIntegrity.problems.map((p) => escapeHtml(p.message)).join('; ')}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Riposte compliance report ${time(r.period.from)} – ${time(r.period.to)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;width:100%;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
.evidenced{color:#0a6b2d}.no_evidence{color:#a4141b}small{color:#555}</style></head><body>
<h1>Incident response compliance report</h1>
<p>Period ${time(r.period.from)} to ${time(r.period.to)} · generated ${time(r.generatedAt)} · ${r.sources.auditEntries} audit entries${r.sources.caseTimeline ? ' and case timelines' : ''}</p>
${integrity}
<h2>Incidents handled: ${r.incidents.handled}</h2>
${r.incidents.merged ? `<p><small>${r.incidents.merged} more merged into another case, not counted.</small></p>` : ''}
<p>Mean time to acknowledge ${duration(m?.mttaMs)}, to contain ${duration(m?.mttcMs)}, to resolve ${duration(m?.mttrMs)}.</p>
${incidents ? `<table><tr><th>Case</th><th>Title</th><th>Severity</th><th>Opened</th><th>To acknowledge</th><th>To contain</th><th>To resolve</th><th>Status</th></tr>${incidents}</table>` : ''}
${controls('SOC 2 Trust Services Criteria', r.soc2)}
${controls('NIST SP 800-61 incident handling phases', r.nist)}
<h2>Approvals</h2><p>${r.approvals.approved} approved, ${r.approvals.rejected} rejected, ${r.approvals.breakGlass} break-glass.</p>
${actions('Approval decisions', r.approvals.items)}
${actions('Playbook changes (who made and published them)', r.playbookChanges)}
${actions('Playbook tests and dry runs', r.playbookTests)}
<p>Refused requests recorded: ${r.accessRefusals}.</p>
</body></html>
`;
}
