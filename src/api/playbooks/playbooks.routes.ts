import { z } from 'zod';
import { publishPlaybook } from '../../app/playbooks/playbook-catalog.js';
import { getPlaybookHealth } from '../../app/playbooks/playbook-health.js';
import { createRunServices } from '../../app/playbooks/run-control.js';
import { loadPlaybook } from '../../domain/playbooks/playbook-loader.js';
import { playbookJsonSchema } from '../../domain/playbooks/playbook.schema.js';
import { notFound, RiposteError } from '../../domain/shared/errors.js';
import { rolesAllow } from '../../governance/permissions.js';
import { actorOf } from '../../governance/principal.js';
import {
  activatePlaybookVersion,
  findPlaybook,
  findPlaybookVersion,
  listPlaybooks,
  listPlaybookVersions,
} from '../../store/playbooks/playbook.repository.js';
import type { PlaybookRow } from '../../store/playbooks/playbook.table.js';
import { deploymentValidation } from '../../app/playbooks/connector-validation.js';
import { setPlaybookTrust } from '../../app/playbooks/playbook-trust.service.js';
import { listPlaybookTrust } from '../../store/playbooks/playbook-trust.repository.js';
import { principalOf } from '../auth/authorize.js';
import type { RoutePlugin } from '../route-plugin.js';
import { queryInteger } from '../query-integer.js';

const Problem = z.object({
  file: z.string().optional(),
  path: z.string().optional(),
  line: z.number().optional(),
  column: z.number().optional(),
  message: z.string(),
  hint: z.string().optional(),
});
const SourceBody = z.object({ source: z.string().min(1).max(1_000_000), activate: z.boolean().optional() });
const PlaybookSummary = z.object({
  id: z.string(),
  name: z.string(),
  activeVersion: z.number().nullable(),
  latestVersion: z.number(),
  updatedAt: z.number(),
});
const VersionSummary = z.object({
  version: z.number(),
  sha256: z.string(),
  createdAt: z.number(),
  createdBy: z.string(),
});
const IdParams = z.object({ id: z.string() });
const VersionParams = z.object({ id: z.string(), version: queryInteger(1, Number.MAX_SAFE_INTEGER) });
const RunStarted = z.object({ runId: z.string(), version: z.number() });

const summary = (p: PlaybookRow): z.infer<typeof PlaybookSummary> => ({
  id: p.id,
  name: p.name,
  activeVersion: p.active_version,
  latestVersion: p.latest_version,
  updatedAt: p.updated_at,
});

/** Playbooks: the JSON Schema, validation, versions (publish, activate, read), manual and webhook starts. */
export const playbookRoutes: RoutePlugin = async (app, ctx) => {
  const runs = createRunServices(ctx);
  const tags = ['playbooks'];

  app.get(
    '/playbooks',
    {
      config: { access: 'playbooks:read' },
      schema: { tags, response: { 200: z.object({ items: z.array(PlaybookSummary) }) } },
    },
    async () => ({
      items: (await listPlaybooks(ctx.store.db)).map(summary),
    }),
  );

  app.get(
    '/playbooks/schema',
    {
      config: { access: 'playbooks:read' },
      schema: { tags, response: { 200: z.record(z.string(), z.unknown()) } },
    },
    async () => playbookJsonSchema(),
  );

  app.post(
    '/playbooks/validate',
    {
      config: { access: 'playbooks:read' },
      schema: {
        tags,
        body: SourceBody,
        response: { 200: z.object({ valid: z.boolean(), problems: z.array(Problem) }) },
      },
    },
    async (request) => {
      const { problems } = loadPlaybook(request.body.source, deploymentValidation(ctx.config));
      return { valid: problems.length === 0, problems };
    },
  );

  app.post(
    '/playbooks',
    {
      config: { access: 'playbooks:write' },
      schema: {
        tags,
        body: SourceBody,
        response: {
          201: z.object({ id: z.string(), version: z.number(), created: z.boolean(), active: z.boolean() }),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      // Saving a version is writing; making it the one that runs is publishing.
      if (request.body.activate && !rolesAllow(principal.roles, 'playbooks:publish'))
        throw new RiposteError(
          'RIPOSTE_FORBIDDEN',
          'activating a version needs the playbooks:publish permission',
        );
      const result = await publishPlaybook(ctx, {
        source: request.body.source,
        actor: actorOf(principal),
        activate: request.body.activate ?? false,
        validation: deploymentValidation(ctx.config),
      });
      return reply.status(201).send(result);
    },
  );

  app.get(
    '/playbooks/:id',
    {
      config: { access: 'playbooks:read' },
      schema: {
        tags,
        params: IdParams,
        response: { 200: PlaybookSummary.extend({ versions: z.array(VersionSummary) }) },
      },
    },
    async (request) => {
      const pb = await findPlaybook(ctx.store.db, request.params.id);
      if (!pb) throw notFound('playbook', request.params.id);
      const versions = await listPlaybookVersions(ctx.store.db, pb.id);
      return {
        ...summary(pb),
        versions: versions.map((v) => ({
          version: v.version,
          sha256: v.sha256,
          createdAt: v.created_at,
          createdBy: v.created_by,
        })),
      };
    },
  );

  app.get(
    '/playbooks/:id/health',
    {
      config: { access: 'playbooks:read' },
      schema: {
        tags,
        params: IdParams,
        response: {
          200: z.object({
            playbookId: z.string(),
            versions: z.array(
              z.object({
                version: z.number(),
                runs: z.number(),
                succeeded: z.number(),
                failed: z.number(),
                successRate: z.number().nullable(),
                failureRate: z.number().nullable(),
                meanDurationMs: z.number().nullable(),
                mostFailingStep: z.object({ stepId: z.string(), failures: z.number() }).nullable(),
              }),
            ),
            timeSavedMinutes: z.number(),
            reviewBy: z.string().nullable(),
            reviewDue: z.boolean(),
          }),
        },
      },
    },
    async (request) => getPlaybookHealth(ctx, request.params.id),
  );

  app.get(
    '/playbooks/:id/versions/:version',
    {
      config: { access: 'playbooks:read' },
      schema: {
        tags,
        params: VersionParams,
        response: { 200: VersionSummary.extend({ source: z.string(), definition: z.unknown() }) },
      },
    },
    async (request) => {
      const v = await findPlaybookVersion(ctx.store.db, request.params.id, request.params.version);
      if (!v) throw notFound(`version ${request.params.version} of playbook`, request.params.id);
      return {
        version: v.version,
        sha256: v.sha256,
        createdAt: v.created_at,
        createdBy: v.created_by,
        source: v.source,
        definition: JSON.parse(v.definition) as unknown,
      };
    },
  );

  app.post(
    '/playbooks/:id/versions/:version/activate',
    {
      config: { access: 'playbooks:publish' },
      schema: { tags, params: VersionParams, response: { 200: PlaybookSummary } },
    },
    async (request) => {
      const { id, version } = request.params;
      const ok = await activatePlaybookVersion(ctx.store.db, id, version, ctx.clock.now());
      if (!ok) throw notFound(`version ${version} of playbook`, id);
      return summary((await findPlaybook(ctx.store.db, id)) as PlaybookRow);
    },
  );

  const TrustGrant = z.object({ action: z.string(), grantedBy: z.string(), grantedAt: z.number() });
  app.get(
    '/playbooks/:id/trust',
    {
      config: { access: 'playbooks:read' },
      schema: {
        tags,
        summary: 'Actions this playbook may run without the approval their risk class asks for',
        params: IdParams,
        response: { 200: z.object({ items: z.array(TrustGrant) }) },
      },
    },
    async (request) => {
      if (!(await findPlaybook(ctx.store.db, request.params.id)))
        throw notFound('playbook', request.params.id);
      return { items: await listPlaybookTrust(ctx.store.db, request.params.id) };
    },
  );
  app.put(
    '/playbooks/:id/trust',
    {
      config: { access: 'settings:admin' },
      schema: {
        tags,
        summary: 'Replace the actions this playbook is trusted to run without approval (admins; audited)',
        params: IdParams,
        body: z.object({ actions: z.array(z.string().min(1).max(200)).max(200) }).strict(),
        response: { 200: z.object({ items: z.array(TrustGrant) }) },
      },
    },
    async (request) => ({
      items: await setPlaybookTrust(ctx, principalOf(request), {
        playbookId: request.params.id,
        actions: [...new Set(request.body.actions)],
      }),
    }),
  );

  app.post(
    '/playbooks/:id/runs',
    {
      config: { access: 'runs:start' },
      schema: {
        tags,
        params: IdParams,
        body: z.object({
          inputs: z.record(z.string(), z.unknown()).default({}),
          version: z.number().int().optional(),
          caseId: z.string().optional(),
        }),
        response: { 201: RunStarted },
      },
    },
    async (request, reply) => {
      const r = await runs.startManualRun({
        playbookId: request.params.id,
        ...request.body,
        actor: actorOf(principalOf(request)),
      });
      return reply.status(201).send(r);
    },
  );

  app.post(
    '/playbooks/:id/webhook',
    {
      config: { access: 'runs:start' },
      schema: {
        tags,
        params: IdParams,
        body: z.unknown(),
        response: { 202: z.object({ runId: z.string().nullable() }) },
      },
    },
    async (request, reply) => {
      const r = await runs.startWebhookRun({
        playbookId: request.params.id,
        body: request.body,
        actor: actorOf(principalOf(request)),
      });
      return reply.status(202).send({ runId: r?.runId ?? null });
    },
  );
};
