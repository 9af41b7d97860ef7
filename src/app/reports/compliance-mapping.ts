/**
 * What each control asks for and which recorded facts are evidence of it. SOC 2 (2017 Trust Services Criteria,
 * common criteria CC7.3-CC7.5) and NIST SP 800-61 Rev. 2 incident-handling phases. A fact is an audit action
 * (exact, or a prefix ending in `.`) or a case status reached (`status:<status>`).
 */
export interface EvidenceRule {
  id: string;
  title: string;
  description: string;
  facts: readonly string[];
}

export const SOC2_CRITERIA: readonly EvidenceRule[] = [
  {
    id: 'CC7.3',
    title: 'Evaluates security events',
    description:
      'The entity evaluates security events to determine whether they could or have resulted in a failure to meet its objectives (security incidents).',
    facts: ['alerts.ingested', 'case.created', 'status:triage', 'observable.verdict_set', 'case.commented'],
  },
  {
    id: 'CC7.4',
    title: 'Responds to security incidents',
    description:
      'The entity responds to identified security incidents by executing a defined incident-response program to understand, contain, remediate, and communicate.',
    facts: [
      'status:containment',
      'status:eradication',
      'containment.applied',
      'run.started',
      'approval.decided',
      'approval.break_glass',
      'case.task_updated',
    ],
  },
  {
    id: 'CC7.5',
    title: 'Recovers from identified security incidents',
    description:
      'The entity identifies, develops, and implements activities to recover from identified security incidents.',
    facts: ['status:recovery', 'status:closed', 'containment.undone', 'case.review_saved'],
  },
];

export const NIST_PHASES: readonly EvidenceRule[] = [
  {
    id: 'preparation',
    title: 'Preparation',
    description: 'Playbooks written, reviewed and tested; connectors, people and tokens in place.',
    facts: [
      'playbook.',
      'connector.created',
      'connector.updated',
      'user.created',
      'token.created',
      'protected_asset.added',
    ],
  },
  {
    id: 'detection_analysis',
    title: 'Detection and Analysis',
    description: 'Alerts received, correlated into cases and triaged.',
    facts: ['alerts.ingested', 'case.created', 'status:triage', 'observable.verdict_set'],
  },
  {
    id: 'containment_eradication_recovery',
    title: 'Containment, Eradication and Recovery',
    description:
      'Actions taken against the threat, with their approvals, and the return to normal operation.',
    facts: [
      'status:containment',
      'status:eradication',
      'status:recovery',
      'containment.applied',
      'approval.decided',
      'run.started',
    ],
  },
  {
    id: 'post_incident',
    title: 'Post-Incident Activity',
    description: 'Cases closed with a resolution, reviews written, evidence kept.',
    facts: ['status:closed', 'case.review_saved', 'evidence.uploaded'],
  },
];

/** True when a recorded fact counts for a rule's fact pattern. */
export const factMatches = (pattern: string, fact: string): boolean =>
  pattern.endsWith('.') ? fact.startsWith(pattern) : pattern === fact;
