import { z } from 'zod';
import { defineConnector } from '../../framework/define-connector.js';
import { CrowdStrikeConfig, Envelope, falcon, type CrowdStrikeContext } from './crowdstrike-api.js';
import { containHost, liftContainment } from './crowdstrike-hosts.actions.js';
import { addIoc, huntIndicator, removeIoc, searchAlerts } from './crowdstrike-iocs.actions.js';

export { CrowdStrikeConfig } from './crowdstrike-api.js';

/** CrowdStrike Falcon: host containment, custom IOC management, and hunting by indicator. */
export const crowdstrikeConnector = defineConnector({
  name: 'crowdstrike',
  title: 'CrowdStrike Falcon',
  description:
    'Network containment of hosts, custom IOCs (block hashes, detect IPs/domains), hunting by indicator and alerts.',
  config: CrowdStrikeConfig,
  actions: [containHost, liftContainment, addIoc, removeIoc, huntIndicator, searchAlerts],
  async test(ctx) {
    // Gets a token and lists one device id: proves the credentials and the Hosts: Read scope.
    await falcon(
      ctx as CrowdStrikeContext,
      { path: '/devices/queries/devices/v1', query: { limit: 1 } },
      Envelope(z.string()),
    );
    return { ok: true, message: 'CrowdStrike issued a token and answered a device query' };
  },
});
