import { z } from 'zod';
import { connectorConfig, secret } from '../../framework/define-connector.js';

/**
 * ServiceNow Table API (https://docs.servicenow.com → REST API → Table API). Each customer has its own
 * instance host (https://<instance>.service-now.com); Basic auth or OAuth 2.0 client credentials.
 */
export const ServiceNowConfig = connectorConfig({
  baseUrl: z.url({ protocol: /^https?$/ }),
  authMode: z.enum(['basic', 'oauth']).default('basic'),
  username: z.string().min(1).optional(),
  password: secret(z.string().min(1)).optional(),
  clientId: z.string().min(1).optional(),
  clientSecret: secret(z.string().min(1)).optional(),
  /** Assignment group for records when an action does not name one. */
  defaultAssignmentGroup: z.string().min(1).optional(),
  /** The caller field of incidents created by Riposte (a sys_user sys_id or user name). */
  callerId: z.string().min(1).optional(),
});
export type ServiceNowConfig = z.infer<typeof ServiceNowConfig>;
