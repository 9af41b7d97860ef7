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
