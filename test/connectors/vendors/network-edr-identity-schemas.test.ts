import { describe, expect, it } from 'vitest';
import { createConnectorRegistry } from '../../../src/connectors/framework/connector-registry.js';
import { cloudflareConnector } from '../../../src/connectors/vendors/cloudflare/cloudflare.connector.js';
import { crowdstrikeConnector } from '../../../src/connectors/vendors/crowdstrike/crowdstrike.connector.js';
import { defenderConnector } from '../../../src/connectors/vendors/defender/defender.connector.js';
import { entraConnector } from '../../../src/connectors/vendors/entra/entra.connector.js';
import { fortigateConnector } from '../../../src/connectors/vendors/fortigate/fortigate.connector.js';
import { googleWorkspaceConnector } from '../../../src/connectors/vendors/google-workspace/google-workspace.connector.js';
import { oktaConnector } from '../../../src/connectors/vendors/okta/okta.connector.js';
import { opnsenseConnector } from '../../../src/connectors/vendors/opnsense/opnsense.connector.js';
import { paloaltoConnector } from '../../../src/connectors/vendors/paloalto/paloalto.connector.js';
import { sentineloneConnector } from '../../../src/connectors/vendors/sentinelone/sentinelone.connector.js';
import { wazuhConnector } from '../../../src/connectors/vendors/wazuh/wazuh.connector.js';

const connectors = [
  cloudflareConnector,
  crowdstrikeConnector,
  defenderConnector,
  entraConnector,
  fortigateConnector,
  googleWorkspaceConnector,
  oktaConnector,
  opnsenseConnector,
  paloaltoConnector,
  sentineloneConnector,
  wazuhConnector,
];

describe('network, EDR and identity connector declarations', () => {
  const registry = createConnectorRegistry(connectors);
  const actions = connectors.flatMap((c) => c.actions.map((a) => ({ connector: c, action: a })));

  it.each(actions.map(({ action }) => [action.name]))(
    '%s exports JSON Schemas and a valid example',
    (name) => {
      const descriptor = registry.describe(name);
      expect(descriptor?.inputSchema).toMatchObject({ type: 'object' });
      expect(descriptor?.outputSchema).toMatchObject({ type: 'object' });
      expect(descriptor?.exampleOutput).toBeDefined();
    },
  );

  it('marks credentials secret, so they are sealed at rest and redacted', () => {
    const secrets = Object.fromEntries(connectors.map((c) => [c.name, c.secretKeys]));
    expect(secrets).toEqual({
      cloudflare: ['apiToken'],
      crowdstrike: ['clientSecret'],
      defender: ['clientSecret'],
      entra: ['clientSecret'],
      fortigate: ['apiKey'],
      'google-workspace': ['privateKey'],
      okta: ['apiToken'],
      opnsense: ['apiKey', 'apiSecret'],
      paloalto: ['apiKey'],
      sentinelone: ['apiToken'],
      wazuh: ['password'],
    });
  });

  it('gives every containment an undo, except where the vendor has none', () => {
    const withoutUndo = actions
      .filter(({ action }) => action.risk !== 'read' && !action.reverses && !action.undo)
      .map(({ action }) => action.name);
    // Revoking sessions, resetting a password, purging mail and Wazuh active responses cannot be reversed by API.
    expect(withoutUndo.sort()).toEqual([
      'entra.purge_messages',
      'entra.reset_password',
      'entra.revoke_sessions',
      'google-workspace.sign_out',
      'okta.clear_sessions',
      'wazuh.block_ip',
      'wazuh.run_active_response',
    ]);
  });

  it('maps the OpenC2 intents a SOC asks for to several vendors', () => {
    const by = (action: string, target: string) =>
      registry
        .actuatorsFor(action, target)
        .map((a) => a.connector.name)
        .sort();
    expect(by('deny', 'ipv4_net')).toEqual([
      'cloudflare',
      'crowdstrike',
      'defender',
      'fortigate',
      'opnsense',
      'paloalto',
    ]);
    expect(by('contain', 'device')).toEqual(['crowdstrike', 'defender', 'sentinelone']);
    expect(by('disable', 'user_account')).toEqual(['entra', 'google-workspace', 'okta']);
  });
});
