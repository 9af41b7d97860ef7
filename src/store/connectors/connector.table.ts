import type { Selectable } from 'kysely';

/** A configured connector instance; credentials are an AES-256-GCM envelope, never plain text. */
export interface ConnectorInstanceTable {
  name: string;
  connector: string;
  /** JSON object of the non-secret settings. */
  config: string;
  /** Encrypted JSON object of the secret settings (see governance/secrets), or null. */
  secrets: string | null;
  is_default: number;
  created_at: number;
  updated_at: number;
}

/** Token bucket per instance, shared by every worker process. */
export interface ConnectorRateBucketTable {
  instance: string;
  tokens_milli: number;
  updated_at: number;
}

export interface ConnectorVerdictCacheTable {
  action: string;
  cache_key: string;
  output: string;
  stored_at: number;
  expires_at: number;
}

export interface IndicatorTable {
  id: string;
  source: string;
  type: string;
  value: string;
  name: string | null;
  labels: string;
  confidence: number | null;
  valid_from: number | null;
  valid_until: number | null;
  modified: number;
  raw: string;
}

export interface IndicatorCursorTable {
  source: string;
  cursor: string;
  updated_at: number;
}

export const ContainmentStatus = {
  active: 'active',
  undone: 'undone',
  undoFailed: 'undo_failed',
} as const;
export type ContainmentStatus = (typeof ContainmentStatus)[keyof typeof ContainmentStatus];

/** One containment in force (or undone): what was done, to what, and how to take it back. */
export interface ContainmentTable {
  id: string;
  idempotency_key: string;
  action: string;
  connector: string;
  instance: string;
  input: string;
  output: string;
  targets: string;
  undo_action: string | null;
  undo_input: string | null;
  status: ContainmentStatus;
  run_id: string;
  step_id: string;
  playbook_id: string;
  case_id: string | null;
  created_at: number;
  expires_at: number | null;
  undone_at: number | null;
  undone_by: string | null;
  last_error: string | null;
}

export interface ProtectedAssetTable {
  id: string;
  kind: string;
  value: string;
  reason: string;
  created_at: number;
}

/** An open breaker: containment in this scope (`playbook:<id>`, `connector:<name>`) is refused until then. */
export interface CircuitBreakerTable {
  scope: string;
  opened_at: number;
  open_until: number;
  reason: string;
}

export type ConnectorInstanceRow = Selectable<ConnectorInstanceTable>;
export type ContainmentRow = Selectable<ContainmentTable>;
export type IndicatorRow = Selectable<IndicatorTable>;

export interface ConnectorTables {
  connector_instances: ConnectorInstanceTable;
  connector_rate_buckets: ConnectorRateBucketTable;
  connector_verdict_cache: ConnectorVerdictCacheTable;
  indicators: IndicatorTable;
  indicator_cursors: IndicatorCursorTable;
  containments: ContainmentTable;
  protected_assets: ProtectedAssetTable;
  circuit_breakers: CircuitBreakerTable;
}
