import { z } from 'zod';
import { connectorConfig, secret } from '../../framework/define-connector.js';

/**
 * Splunk REST API on the management port (https://docs.splunk.com/Documentation/Splunk/latest/RESTREF):
 * search jobs, and Enterprise Security's `notable_update`. Each deployment has its own host
 * (https://<host>:8089, Splunk Cloud https://<stack>.splunkcloud.com:8089); auth by an authentication token
 * (`Authorization: Bearer`) or a user's Basic credentials.
 */
export const SplunkConfig = connectorConfig({
  baseUrl: z.url({ protocol: /^https?$/ }),
  token: secret(z.string().min(8)).optional(),
  username: z.string().min(1).optional(),
  password: secret(z.string().min(1)).optional(),
  /** Longest search window when a step gives none. */
  defaultEarliest: z.string().default('-24h'),
});
export type SplunkConfig = z.infer<typeof SplunkConfig>;
