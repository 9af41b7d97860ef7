import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineAction, defineConnector, type ActionContext } from '../../framework/define-connector.js';
import { ConnectorErrorCode, permanentError } from '../../framework/connector-errors.js';
import { withServiceNowAuth } from './servicenow-auth.js';
import { ServiceNowConfig } from './servicenow.config.js';

const TableRecord = z.looseObject({
  sys_id: z.string(),
  number: z.string().optional(),
  state: z.string().optional(),
});
const Single = z.object({ result: TableRecord });
const Many = z.object({ result: z.array(TableRecord) });
const FIELDS = 'sys_id,number,state';

type Ctx = ActionContext<ServiceNowConfig>;

const recordUrl = (ctx: Ctx, table: string, sysId: string) =>
  `${ctx.config.baseUrl.replace(/\/$/, '')}/nav_to.do?uri=${table}.do?sys_id=${sysId}`;

/** Finds the record a previous attempt created: Riposte writes the step idempotency key into correlation_id. */
async function findByCorrelation(ctx: Ctx, table: string, correlationId: string) {
  const found = await withServiceNowAuth(ctx, async (authorization) =>
    Many.parse(
      await ctx.http.json(
        {
          path: `/api/now/table/${table}`,
          query: {
            sysparm_query: `correlation_id=${correlationId}`,
            sysparm_limit: 1,
            sysparm_fields: FIELDS,
          },
          headers: { authorization },
        },
        ctx.signal,
      ),
    ),
  );
  return found.result[0];
}

async function createOnce(ctx: Ctx, table: string, fields: Record<string, unknown>) {
  // correlation_id is a task field (incident and change_request extend task) meant for external ids. A
  // digest of the key, so nothing in it (a `^`) can add clauses to the encoded query that looks it up.
  const correlationId = serviceNowCorrelationId(ctx.idempotencyKey);
  const existing = await findByCorrelation(ctx, table, correlationId);
  if (existing) {
    ctx.markAlreadyApplied();
    return {
      sysId: existing.sys_id,
      number: existing.number ?? '',
      url: recordUrl(ctx, table, existing.sys_id),
      created: false,
    };
  }
  const created = await withServiceNowAuth(ctx, async (authorization) =>
    Single.parse(
      await ctx.http.json(
        {
          method: 'POST',
          path: `/api/now/table/${table}`,
          query: { sysparm_fields: FIELDS },
          headers: { authorization },
          json: { ...dropUndefined(fields), correlation_id: correlationId, correlation_display: 'Riposte' },
        },
        ctx.signal,
      ),
    ),
  );
  return {
    sysId: created.result.sys_id,
    number: created.result.number ?? '',
    url: recordUrl(ctx, table, created.result.sys_id),
    created: true,
  };
}

/** The correlation_id Riposte writes for one step idempotency key. */
export const serviceNowCorrelationId = (idempotencyKey: string): string =>
  `riposte:${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}`;

const dropUndefined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const CreatedOutput = z.object({
  sysId: z.string(),
  number: z.string(),
  url: z.string(),
  created: z.boolean(),
});
const SysId = z.string().regex(/^[0-9a-f]{32}$/, 'a 32-character sys_id');
const Impact = z.enum(['1', '2', '3']);

export const serviceNowConnector = defineConnector({
  name: 'servicenow',
  title: 'ServiceNow',
  description: 'Incidents and change requests through the ServiceNow Table API.',
  config: ServiceNowConfig,
  actions: [
    defineAction({
      name: 'servicenow.create_incident',
      description: 'Open an incident; a retry finds the one the first attempt opened (correlation_id)',
      risk: 'read',
      input: z.object({
        shortDescription: z.string().min(1).max(160),
        description: z.string().default(''),
        impact: Impact.default('2'),
        urgency: Impact.default('2'),
        category: z.string().optional(),
        assignmentGroup: z.string().optional(),
        cmdbCi: z.string().optional(),
      }),
      output: CreatedOutput,
      example: {
        sysId: '9d385017c611228701d22104cc95c371',
        number: 'INC0010023',
        url: 'https://acme.service-now.com/nav_to.do?uri=incident.do?sys_id=9d385017c611228701d22104cc95c371',
        created: true,
      },
      idempotency: 'query-first',
      run: (ctx: Ctx, input) =>
        createOnce(ctx, 'incident', {
          short_description: input.shortDescription,
          description: input.description,
          impact: input.impact,
          urgency: input.urgency,
          category: input.category,
          assignment_group: input.assignmentGroup ?? ctx.config.defaultAssignmentGroup,
          cmdb_ci: input.cmdbCi,
          caller_id: ctx.config.callerId,
        }),
    }),
    defineAction({
      name: 'servicenow.update_incident',
      description: 'Set fields of an incident (state, work notes, close code…) by sys_id or number',
      risk: 'read',
      input: z
        .object({
          sysId: SysId.optional(),
          number: z
            .string()
            .regex(/^INC\d+$/, 'an incident number such as INC0010023')
            .optional(),
          state: z
            .enum(['1', '2', '3', '6', '7', '8'])
            .optional()
            .describe('1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled'),
          workNotes: z.string().optional(),
          comments: z.string().optional(),
          closeCode: z.string().optional(),
          closeNotes: z.string().optional(),
          assignmentGroup: z.string().optional(),
        })
        .refine((i) => i.sysId ?? i.number, 'give sysId or number'),
      output: z.object({ sysId: z.string(), number: z.string(), state: z.string() }),
      example: { sysId: '9d385017c611228701d22104cc95c371', number: 'INC0010023', state: '2' },
      // Setting fields to given values twice gives the same record. Work notes would be added twice; the
      // engine's step key keeps that to a crash between the PATCH and its recording.
      idempotency: 'natural',
      async run(ctx: Ctx, input) {
        let sysId = input.sysId;
        if (!sysId) {
          const found = await withServiceNowAuth(ctx, async (authorization) =>
            Many.parse(
              await ctx.http.json(
                {
                  path: '/api/now/table/incident',
                  query: {
                    sysparm_query: `number=${input.number}`,
                    sysparm_limit: 1,
                    sysparm_fields: FIELDS,
                  },
                  headers: { authorization },
                },
                ctx.signal,
              ),
            ),
          );
          sysId = found.result[0]?.sys_id;
          if (!sysId)
            throw permanentError(ConnectorErrorCode.notFound, `ServiceNow has no incident ${input.number}`);
        }
        const fields = dropUndefined({
          state: input.state,
          work_notes: input.workNotes,
          comments: input.comments,
          close_code: input.closeCode,
          close_notes: input.closeNotes,
          assignment_group: input.assignmentGroup,
        });
        const updated = await withServiceNowAuth(ctx, async (authorization) =>
          Single.parse(
            await ctx.http.json(
              {
                method: 'PATCH',
                path: `/api/now/table/incident/${sysId}`,
                query: { sysparm_fields: FIELDS },
                headers: { authorization },
                json: fields,
                idempotent: true,
              },
              ctx.signal,
            ),
          ),
        );
        return {
          sysId: updated.result.sys_id,
          number: updated.result.number ?? '',
          state: updated.result.state ?? '',
        };
      },
    }),
    defineAction({
      name: 'servicenow.create_change_request',
      description: 'Open a change request (e.g. a patch work item); a retry finds the one already opened',
      risk: 'read',
      input: z.object({
        shortDescription: z.string().min(1).max(160),
        description: z.string().default(''),
        type: z.enum(['normal', 'standard', 'emergency']).default('normal'),
        risk: z.enum(['2', '3', '4']).optional().describe('2 High, 3 Moderate, 4 Low'),
        cmdbCi: z.string().optional(),
        assignmentGroup: z.string().optional(),
        justification: z.string().optional(),
        implementationPlan: z.string().optional(),
        backoutPlan: z.string().optional(),
      }),
      output: CreatedOutput,
      example: {
        sysId: 'c83c5e5347c12200e0ef563dbb9a7190',
        number: 'CHG0030042',
        url: 'https://acme.service-now.com/nav_to.do?uri=change_request.do?sys_id=c83c5e5347c12200e0ef563dbb9a7190',
        created: true,
      },
      idempotency: 'query-first',
      run: (ctx: Ctx, input) =>
        createOnce(ctx, 'change_request', {
          short_description: input.shortDescription,
          description: input.description,
          type: input.type,
          risk: input.risk,
          cmdb_ci: input.cmdbCi,
          assignment_group: input.assignmentGroup ?? ctx.config.defaultAssignmentGroup,
          justification: input.justification,
          implementation_plan: input.implementationPlan,
          backout_plan: input.backoutPlan,
        }),
    }),
  ],
  async test(ctx) {
    const c = ctx as Ctx;
    await withServiceNowAuth(c, async (authorization) =>
      c.http.json(
        {
          path: '/api/now/table/incident',
          query: { sysparm_limit: 1, sysparm_fields: 'sys_id' },
          headers: { authorization },
        },
        c.signal,
      ),
    );
    return { ok: true, message: 'ServiceNow accepted the credentials and the Table API answered' };
  },
});
