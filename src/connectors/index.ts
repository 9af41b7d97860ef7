import { createConnectorRegistry, type ConnectorRegistry } from './framework/connector-registry.js';
import type { ConnectorDefinition } from './framework/define-connector.js';
import { abuseIpdbConnector } from './vendors/abuseipdb/abuseipdb.connector.js';
import { blocklistConnector } from './vendors/blocklist/blocklist.connector.js';
import { indicatorsConnector } from './vendors/indicators/indicators.connector.js';
import { localListConnector } from './vendors/locallist/locallist.connector.js';
import { mispConnector } from './vendors/misp/misp.connector.js';
import { taxiiConnector } from './vendors/taxii/taxii.connector.js';
import { urlhausConnector } from './vendors/urlhaus/urlhaus.connector.js';
import { virusTotalConnector } from './vendors/virustotal/virustotal.connector.js';
import { webhookConnector } from './vendors/webhook/webhook.connector.js';
import { cloudflareConnector } from './vendors/cloudflare/cloudflare.connector.js';
import { crowdstrikeConnector } from './vendors/crowdstrike/crowdstrike.connector.js';
import { defenderConnector } from './vendors/defender/defender.connector.js';
import { elasticsearchConnector } from './vendors/elasticsearch/elasticsearch.connector.js';
import { entraConnector } from './vendors/entra/entra.connector.js';
import { fortigateConnector } from './vendors/fortigate/fortigate.connector.js';
import { gitHubConnector } from './vendors/github/github.connector.js';
import { googleWorkspaceConnector } from './vendors/google-workspace/google-workspace.connector.js';
import { jiraConnector } from './vendors/jira/jira.connector.js';
import { oktaConnector } from './vendors/okta/okta.connector.js';
import { opnsenseConnector } from './vendors/opnsense/opnsense.connector.js';
import { pagerDutyConnector } from './vendors/pagerduty/pagerduty.connector.js';
import { paloaltoConnector } from './vendors/paloalto/paloalto.connector.js';
import { pfsenseConnector } from './vendors/pfsense/pfsense.connector.js';
import { qualysConnector } from './vendors/qualys/qualys.connector.js';
import { sentineloneConnector } from './vendors/sentinelone/sentinelone.connector.js';
import { serviceNowConnector } from './vendors/servicenow/servicenow.connector.js';
import { slackConnector } from './vendors/slack/slack.connector.js';
import { smtpConnector } from './vendors/smtp/smtp.connector.js';
import { splunkConnector } from './vendors/splunk/splunk.connector.js';
import { teamsConnector } from './vendors/teams/teams.connector.js';
import { tenableConnector } from './vendors/tenable/tenable.connector.js';
import { vulnerabilityConnector } from './vendors/vulnerability/vulnerability.connector.js';
import { wazuhConnector } from './vendors/wazuh/wazuh.connector.js';

/** Every built-in connector. Adding one is one line here (see README.md). */
export const BUILTIN_CONNECTORS: readonly ConnectorDefinition[] = [
  virusTotalConnector,
  abuseIpdbConnector,
  mispConnector,
  taxiiConnector,
  urlhausConnector,
  localListConnector,
  indicatorsConnector,
  blocklistConnector,
  webhookConnector,
  // SIEM, EDR, network, identity, vulnerability, ticketing and messaging vendors.
  cloudflareConnector,
  crowdstrikeConnector,
  defenderConnector,
  elasticsearchConnector,
  entraConnector,
  fortigateConnector,
  gitHubConnector,
  googleWorkspaceConnector,
  jiraConnector,
  oktaConnector,
  opnsenseConnector,
  pfsenseConnector,
  pagerDutyConnector,
  paloaltoConnector,
  qualysConnector,
  sentineloneConnector,
  serviceNowConnector,
  slackConnector,
  smtpConnector,
  splunkConnector,
  teamsConnector,
  tenableConnector,
  vulnerabilityConnector,
  wazuhConnector,
];

/** The registry of built-in connectors (plus any extra ones a deployment or a test adds). */
export const createBuiltinRegistry = (extra: readonly ConnectorDefinition[] = []): ConnectorRegistry =>
  createConnectorRegistry([...BUILTIN_CONNECTORS, ...extra]);

export type {
  ActionExecutor,
  ActionRequest,
  ActionResult,
  ActionDescriptor,
  RiskClass,
} from './action-executor.js';
export { ConnectorError } from './action-executor.js';
export {
  createActionExecutor,
  type ActionExecutorDeps,
  type ConnectorRuntime,
} from './framework/create-action-executor.js';
export { ConnectorErrorCode } from './framework/connector-errors.js';
export {
  defineAction,
  defineConnector,
  connectorConfig,
  secret,
  type ActionContext,
} from './framework/define-connector.js';
export { CONTAINMENT_EXPIRY_KIND, CONTAINMENT_EXPIRY_QUEUE } from './framework/containment-recorder.js';
export { DEFAULT_SAFETY_POLICY, type SafetyPolicy } from './safety/containment-guard.js';
