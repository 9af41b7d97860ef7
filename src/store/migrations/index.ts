import * as queue from './0001_queue.js';
import * as audit from './0002_audit.js';
import * as cases from './0003_cases.js';
import * as alerts from './0004_alerts.js';
import * as caseManagement from './0005_case_management.js';
import * as playbooks from './0006_playbooks.js';
import * as connectors from './0007_connectors.js';
import * as identity from './0008_identity.js';
import * as ingestSettings from './0009_ingest_settings.js';
import * as engineApprovalAction from './0010_engine_approval_action.js';
import * as casesMetricsIndexes from './0011_cases_metrics_indexes.js';
import * as playbookTrust from './0012_playbook_trust.js';
import * as sealSourceHmacSecrets from './0013_seal_source_hmac_secrets.js';
import * as caseProjections from './0014_a_case_projections.js';
import * as slaPolicies from './0014_b_sla_policies.js';
import * as caseMetricIndexes from './0014_c_case_metric_indexes.js';
import * as caseSearch from './0014_d_case_search.js';
import * as caseObservableSeen from './0015_a_case_observable_seen.js';
import * as dropAlertsTime from './0015_e_drop_alerts_time.js';
import * as alertsFingerprintPrefix from './0016_a_alerts_fingerprint_prefix.js';
import * as observableLinkTables from './0017_a_observable_link_tables.js';
import * as alertEventIds from './0018_a_alert_event_ids.js';
import * as sourceSignatureTimestamps from './0019_a_source_signature_timestamps.js';
import * as sourcePreviousCredentials from './0020_a_source_previous_credentials.js';
import * as usernameCaseInsensitive from './0021_a_username_case_insensitive.js';
import * as alertReceivedFrom from './0022_a_alert_received_from.js';
import * as sourceTokenHashIndex from './0023_a_source_token_hash_index.js';
import type { RiposteMigration } from './migration.js';

/**
 * Every migration in order. Names sort in the order they run; a released migration is never edited,
 * only followed by a new one.
 */
export const MIGRATIONS: Record<string, RiposteMigration> = {
  '0001_queue': queue,
  '0002_audit': audit,
  '0003_cases': cases,
  '0004_alerts': alerts,
  '0005_case_management': caseManagement,
  '0006_playbooks': playbooks,
  '0007_connectors': connectors,
  '0008_identity': identity,
  '0009_ingest_settings': ingestSettings,
  '0010_engine_approval_action': engineApprovalAction,
  '0011_cases_metrics_indexes': casesMetricsIndexes,
  '0012_playbook_trust': playbookTrust,
  '0013_seal_source_hmac_secrets': sealSourceHmacSecrets,
  '0014_a_case_projections': caseProjections,
  '0014_b_sla_policies': slaPolicies,
  '0014_c_case_metric_indexes': caseMetricIndexes,
  '0014_d_case_search': caseSearch,
  '0015_a_case_observable_seen': caseObservableSeen,
  '0015_e_drop_alerts_time': dropAlertsTime,
  '0016_a_alerts_fingerprint_prefix': alertsFingerprintPrefix,
  '0017_a_observable_link_tables': observableLinkTables,
  '0018_a_alert_event_ids': alertEventIds,
  '0019_a_source_signature_timestamps': sourceSignatureTimestamps,
  '0020_a_source_previous_credentials': sourcePreviousCredentials,
  '0021_a_username_case_insensitive': usernameCaseInsensitive,
  '0022_a_alert_received_from': alertReceivedFrom,
  '0023_a_source_token_hash_index': sourceTokenHashIndex,
};
