import type { Selectable } from 'kysely';

export interface PlaybookTable {
  id: string;
  name: string;
  active_version: number | null;
  latest_version: number;
  created_at: number;
  updated_at: number;
}

/** A saved version is never updated: publishing a change adds a version. */
export interface PlaybookVersionTable {
  playbook_id: string;
  version: number;
  /** The YAML or JSON as written, for diff and export. */
  source: string;
  /** The parsed playbook (JSON). */
  definition: string;
  sha256: string;
  created_at: number;
  created_by: string;
}

/** An action a playbook may run without the approval its risk class asks for, and who allowed it. */
export interface PlaybookTrustTable {
  playbook_id: string;
  action: string;
  granted_by: string;
  granted_at: number;
}

export type PlaybookRow = Selectable<PlaybookTable>;
export type PlaybookVersionRow = Selectable<PlaybookVersionTable>;

export interface PlaybookTables {
  playbooks: PlaybookTable;
  playbook_versions: PlaybookVersionTable;
  playbook_trust: PlaybookTrustTable;
}
