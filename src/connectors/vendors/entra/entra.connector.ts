import { z } from 'zod';
import { defineConnector } from '../../framework/define-connector.js';
import { EntraConfig, graph, type EntraContext } from './entra-api.js';
import { purgeMessages, searchMessages } from './entra-mail.actions.js';
import { disableUser, enableUser, resetPassword, revokeSessions } from './entra-users.actions.js';

export { EntraConfig } from './entra-api.js';

/** Microsoft Entra ID and Exchange Online through Microsoft Graph. */
export const entraConnector = defineConnector({
  name: 'entra',
  title: 'Microsoft Entra ID (Graph)',
  description: 'Disable and enable users, revoke their sessions, reset passwords, search and purge messages.',
  config: EntraConfig,
  actions: [disableUser, enableUser, revokeSessions, resetPassword, searchMessages, purgeMessages],
  async test(ctx) {
    // The tenant's organization object: any app-only token with a directory read permission can read it.
    await graph(
      ctx as EntraContext,
      { path: '/organization', query: { $select: 'id' } },
      z.looseObject({ value: z.array(z.unknown()) }),
    );
    return { ok: true, message: 'Microsoft Graph issued a token and answered' };
  },
});
