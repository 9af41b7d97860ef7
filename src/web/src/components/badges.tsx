import { humanize } from '../format.js';

export const SeverityBadge = ({ severity }: { severity: string }) => (
  <span className={`badge sev-${severity}`}>{severity}</span>
);

export const StatusBadge = ({ status }: { status: string }) => (
  <span className={`badge status status-${status}`}>{humanize(status)}</span>
);
