import { z } from 'zod';
import { getSlaPolicies, updateSlaPolicies } from '../../app/cases/sla-policies.js';
import { MAX_SLA_MS } from '../../domain/cases/case-sla.js';
import { Severity } from '../../domain/shared/severity.js';
import { actorOf } from '../../governance/principal.js';
import { principalOf } from '../auth/authorize.js';
import type { RoutePlugin } from '../route-plugin.js';

const Target = z.number().int().positive().max(MAX_SLA_MS);

/** Time allowed per clock from a case's creation, in ms. */
const SlaPolicyBody = z
  .object({ acknowledge: Target, contain: Target, resolve: Target })
  .strict()
  .describe('ms from case creation; acknowledge ≤ contain ≤ resolve');

const severityMap = <T extends z.ZodType>(value: T) =>
  z.object(Object.fromEntries(Severity.map((s) => [s, value])) as Record<Severity, T>).strict();

export const SlaPoliciesUpdateBody = severityMap(SlaPolicyBody.optional()).describe(
  'Severities to set; those left out keep their policy',
);

const SlaPoliciesBody = z.object({
  policies: severityMap(SlaPolicyBody),
  configured: z.array(z.object({ severity: z.enum(Severity), updatedAt: z.number(), updatedBy: z.string() })),
  rescheduled: z.number().int().optional(),
});

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
