import type { Generated, Selectable } from 'kysely';

export interface AlertTable {
  id: string;
  /** The ingest source's name. */
  source: string;
  source_event_id: string | null;
  fingerprint: string;
  title: string;
  severity: string;
  severity_original: string | null;
  category: string | null;
  product: string | null;
  vendor: string | null;
  rule_id: string | null;
  rule_name: string | null;
  /** Which mapper produced the normalised form. */
  mapper: string;
  time: number;
  first_seen: number;
  last_seen: number;
  count: number;
  case_id: string | null;
  /** JSON: why the alert went to its case (`Correlation`). */
  correlation: string | null;
  /**
   * JSON: the normalised fields that have no column of their own (`classUid`, `description`, `techniques`,
   * `observables`). Rows stored by earlier versions hold the whole normalised alert without `raw`; the columns are read.
   */
  normalized: string;
  /** JSON: the event exactly as received (a JSON value, or the text line as a JSON string). */
  raw: string;
  /**
   * The network address it was delivered from, without a port (`203.0.113.9`, `2001:db8::1`): a syslog
   * sender or an HTTP client. Null when read from a file, or stored before migration 0022_a.
   */
  received_from: string | null;
  created_at: number;
}

export interface ObservableTable {
  id: string;
  type: string;
  value: string;
  /** IPs: private, public or reserved. */
  scope: string | null;
  verdict: string | null;
  verdict_source: string | null;
  /** JSON array of strings. */
  tags: string;
  first_seen: number;
  last_seen: number;
}

export interface AlertObservableTable {
  alert_id: string;
  observable_id: string;
  role: string;
}

/**
 * The source event ids of fingerprint repeats, each naming the alert it was counted on (migration 0018_a): a
 * retry of one is then answered as the retry it is, as `alerts.source_event_id` answers the others.
 */
export interface AlertEventIdTable {
  source: string;
  source_event_id: string;
  alert_id: string;
  /** When the repeat was counted (ms): rows a week old are pruned. */
  at: number;
}

export interface IngestSourceTable {
  name: string;
  description: string;
  mapper: string;
  /** JSON: the generic mapper's field paths. */
  mapper_config: string | null;
  /** SHA-256 (hex) of the source's ingest token; the token itself is shown once and never stored. */
  token_hash: string | null;
  /** The HMAC key for signed webhooks, sealed with the master key (see `hmacSecretAad`). */
  hmac_secret: string | null;
  /** 1: a signature must cover `X-Riposte-Timestamp` (a body-only one is refused as replayable). */
  require_timestamp: Generated<number>;
  /** The token rotated away, still accepted until `previous_token_expires_at` (see migration 0020_a). */
  previous_token_hash: string | null;
  previous_token_expires_at: number | null;
  /** The HMAC secret rotated away (sealed), still accepted until `previous_hmac_secret_expires_at`. */
  previous_hmac_secret: string | null;
  previous_hmac_secret_expires_at: number | null;
  enabled: number;
  created_at: number;
  updated_at: number;
}

/** One row (`id = 'default'`): the de-duplication and correlation rules as JSON (`IngestSettings`). */
export interface IngestSettingsTable {
  id: string;
  settings: string;
  /** The actor id of whoever last changed them. */
  updated_by: string;
  updated_at: number;
}

export type AlertRow = Selectable<AlertTable>;
export type ObservableRow = Selectable<ObservableTable>;
export type IngestSourceRow = Selectable<IngestSourceTable>;

export interface AlertTables {
  alerts: AlertTable;
  observables: ObservableTable;
  alert_observables: AlertObservableTable;
  alert_event_ids: AlertEventIdTable;
  ingest_sources: IngestSourceTable;
  ingest_settings: IngestSettingsTable;
}
