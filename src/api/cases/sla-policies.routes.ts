import { getSlaPolicies, updateSlaPolicies } from '../../app/cases/sla-policies.js';
import { SlaPoliciesBody, SlaPoliciesUpdateBody } from '../../app/cases/sla-policy.schema.js';
import { actorOf } from '../../governance/principal.js';
import { principalOf } from '../auth/authorize.js';
import type { RoutePlugin } from '../route-plugin.js';

/**
 * GET/PUT /sla-policies: the SLA targets per severity. A change applies to running clocks too (open cases'
 * breach checks are rescheduled in the same transaction) and is audited.
 */
export const slaPolicyRoutes: RoutePlugin = async (app, ctx) => {
  app.get(
    '/sla-policies',
    {
      config: { access: 'cases:read' },
      schema: {
        tags: ['cases'],
        summary: 'SLA targets per severity (configured or built in)',
        response: { 200: SlaPoliciesBody },
      },
    },
    async () => getSlaPolicies(ctx),
  );
  app.put(
    '/sla-policies',
    {
      config: { access: 'settings:admin' },
      schema: {
        tags: ['cases'],
        summary: 'Set the SLA targets of some severities; open cases are held to them from now on',
        body: SlaPoliciesUpdateBody,
        response: { 200: SlaPoliciesBody },
      },
    },
    async (request) => updateSlaPolicies(ctx, request.body, actorOf(principalOf(request))),
  );
};
