/** Case types that come with a checklist; a playbook or an analyst applies one to a case. */
export const CaseType = ['phishing', 'malware', 'vulnerability', 'account_compromise'] as const;
export type CaseType = (typeof CaseType)[number];

export interface TaskTemplateItem {
  title: string;
  description: string;
  /** Due this long after the template is applied; none when absent. */
  dueInMs?: number;
}

const HOUR = 3_600_000;

/** The built-in checklists, after common IR runbooks (NIST SP 800-61 phases in order). */
export const TASK_TEMPLATES: Record<CaseType, readonly TaskTemplateItem[]> = {
  phishing: [
    {
      title: 'Collect the reported message',
      description: 'Headers, body, attachments and URLs.',
      dueInMs: HOUR,
    },
    { title: 'Find all recipients', description: 'Search mail logs for the same sender, subject or URL.' },
    { title: 'Check who clicked or replied', description: 'Proxy and mail logs for the URLs found.' },
    { title: 'Purge the message from mailboxes', description: 'Remove every copy found.' },
    { title: 'Block sender and URLs', description: 'Mail gateway and proxy block lists.' },
    { title: 'Reset credentials of users who entered them', description: 'And revoke their sessions.' },
  ],
  malware: [
    { title: 'Isolate affected hosts', description: 'EDR network containment.', dueInMs: HOUR },
    { title: 'Collect samples and hashes', description: 'Store them as evidence.' },
    { title: 'Scope: search for the hashes fleet-wide', description: 'EDR and SIEM hunt.' },
    { title: 'Remove the malware and persistence', description: 'Reimage where in doubt.' },
    { title: 'Restore and monitor', description: 'Lift containment; watch for re-infection.' },
  ],
  vulnerability: [
    { title: 'Confirm affected assets and versions', description: 'Inventory and scanner results.' },
    { title: 'Check for exploitation', description: 'Logs since the disclosure date.' },
    { title: 'Apply mitigation or patch', description: 'Vendor fix or compensating control.' },
    { title: 'Verify the fix', description: 'Rescan the affected assets.' },
  ],
  account_compromise: [
    { title: 'Disable the account or revoke its sessions', description: 'Identity provider.', dueInMs: HOUR },
    { title: 'Reset the password and MFA factors', description: 'Re-enrol MFA out of band.' },
    { title: 'Review sign-ins and changes made', description: 'Mail rules, app consents, new devices.' },
    { title: 'Undo malicious changes', description: 'Forwarding rules, OAuth grants, keys.' },
    { title: 'Re-enable and inform the user', description: 'With what happened and what to watch.' },
  ],
};

export const isCaseType = (value: string): value is CaseType =>
  (CaseType as readonly string[]).includes(value);
