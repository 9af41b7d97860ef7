import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';
import type { ActionContext } from '../../framework/define-connector.js';
import type { SplunkConfig } from './splunk.config.js';

/** Bearer for an authentication token, Basic for a user: splunkd takes either on every endpoint. */
export function splunkAuthHeader(ctx: ActionContext<SplunkConfig>): Record<string, string> {
  const { token, username, password } = ctx.config;
  if (token) return { authorization: `Bearer ${token}` };
  if (username && password)
    return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
  throw new ConnectorError(
    ConnectorErrorCode.notConfigured,
    'the Splunk instance needs a token or a username and password',
    { retryable: false },
  );
}
