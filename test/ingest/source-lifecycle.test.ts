import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import { patchIngestSettings } from '../../src/app/ingest/configure-ingest.js';
import {
  createApiToken,
  resolveApiToken,
  revokeApiToken,
} from '../../src/app/identity/api-tokens.service.js';
import { updateIngestSourceSettings, type UpdateSourceInput } from '../../src/app/ingest/ingest-sources.js';
import {
  checkWebhookHeaders,
  webhookStillAccepted,
  webhookStreamStillAllowed,
  type WebhookCredential,
} from '../../src/app/ingest/source-access.js';
import { ingestLineStream, StreamInterrupted } from '../../src/app/ingest/ingest-stream.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import type { Principal } from '../../src/governance/principal.js';
import { generateMasterKey } from '../../src/governance/secrets/secret-box.js';
import { keyringLoader } from '../../src/governance/secrets/master-key-file.js';
import type { LineRecord } from '../../src/ingest/formats/ndjson-lines.js';
import { findIngestSourceRow } from '../../src/store/alerts/ingest-source.repository.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { asRole, buildTestApi, testAuthenticator, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { waitFor } from '../support/waiting.js';

const json = { 'content-type': 'application/json' };
const ROOT: Principal = { kind: 'system', id: 'test', name: 'test', roles: ['admin'] };
const line = (i: number): string => `${JSON.stringify({ title: `t${i}`, rule_id: `r${i}`, id: `ev${i}` })}\n`;

describe.each(DIALECTS)('ingest sources over their lifetime on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  const masterKey = generateMasterKey().key.toString('base64');
  beforeEach(async () => {
    handle = await openTestStore(dialect);
    // Test users, and real API tokens (revocable) for the rest.
    const holder: { api?: TestApi } = {};
    api = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }], {
      config: { masterKey },
      authenticate: async (request) => {
        const header = request.headers.authorization ?? '';
        if (header.startsWith('Bearer test:') || !holder.api) return testAuthenticator(request);
        return resolveApiToken(holder.api.ctx, header.slice('Bearer '.length));
      },
    });
    holder.api = api;
    // Steps of 2 alerts: each commits on its own.
    await patchIngestSettings(api.ctx, { batchSize: 2 }, SYSTEM_ACTOR);
  });
  afterEach(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  const admin = (method: 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) =>
    api.app.inject({
      method,
      url,
      headers: body === undefined ? asRole('admin') : { ...json, ...asRole('admin') },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  const storedFor = async (source: string): Promise<number> =>
    (await handle.store.db.selectFrom('alerts').select('id').where('source', '=', source).execute()).length;
  const tokenFor = async (sources?: string[]): Promise<{ token: string; id: string }> => {
    const made = await createApiToken(api.ctx, ROOT, {
      name: 'ingest',
      roles: ['ingest'],
      ...(sources ? { sources } : {}),
    });
    return { token: made.token, id: made.info.id };
  };

  /**
   * POSTs 10 NDJSON lines for `source`: 4, then (once those are stored) `meanwhile`, then 6 more. The body is a
   * stream held open in between, as a long-running sender's is.
   */
  async function streamWith(source: string, token: string, meanwhile: () => Promise<void>) {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const body = Readable.from(
      (async function* () {
        for (let i = 1; i <= 4; i++) yield line(i);
        await gate;
        for (let i = 5; i <= 10; i++) yield line(i);
      })(),
    );
    const answer = api.app.inject({
      method: 'POST',
      url: `/api/v1/alerts/ndjson?source=${source}`,
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}` },
      payload: body,
    });
    await waitFor('the first 4 lines', async () => (await storedFor(source)) >= 4);
    await meanwhile();
    release();
    return answer;
  }

  it('stops an open NDJSON stream at its next step once its source is disabled: 403 with what was committed', async () => {
    expect((await admin('POST', '/api/v1/sources', { name: 'ids' })).statusCode).toBe(201);
    const { token } = await tokenFor(['ids']);
    const answer = await streamWith('ids', token, async () => {
      expect((await admin('PATCH', '/api/v1/sources/ids', { enabled: false })).statusCode).toBe(200);
    });
    expect(answer.statusCode).toBe(403);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(answer.json()).toMatchObject({
      code: 'RIPOSTE_FORBIDDEN',
      message: expect.stringContaining('ingest source ids is disabled'),
      committed: { accepted: 4, duplicates: 0, rejected: 0, throughLine: 4 },
    });
    expect(await storedFor('ids')).toBe(4);
  });

  it('stops an open NDJSON stream once its source is deleted, and once its API token is revoked', async () => {
    await admin('POST', '/api/v1/sources', { name: 'ids' });
    const bound = await tokenFor(['ids']);
    const deleted = await streamWith('ids', bound.token, async () => {
      expect((await admin('DELETE', '/api/v1/sources/ids')).statusCode).toBe(204);
    });
    expect(deleted.statusCode).toBe(403);
    expect(deleted.json()).toMatchObject({
      message: expect.stringContaining('ingest source ids was deleted'),
      committed: { accepted: 4, throughLine: 4 },
    });

    // A source without a row, by a token without source limits: revoking the token stops the stream.
    const any = await tokenFor();
    const revoked = await streamWith('lab', any.token, async () => {
      await revokeApiToken(api.ctx, ROOT, any.id);
    });
    expect(revoked.statusCode).toBe(403);
    expect(revoked.json()).toMatchObject({
      message: expect.stringContaining('API token this stream is sent with was revoked'),
      committed: { accepted: 4, throughLine: 4 },
    });
    expect(await storedFor('lab')).toBe(4);
  });

  it('lets a stream of an unrestricted caller run on for a source without a row, as at its start', async () => {
    const answer = await streamWith(
      'lab',
      asRole('admin').authorization.slice('Bearer '.length),
      async () => {
        // Another source changing is nothing to this stream.
        await admin('POST', '/api/v1/sources', { name: 'other', enabled: false });
      },
    );
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ accepted: 10 });
  });

  it('refuses a source-bound token once its source is deleted, as when it is disabled; others may still send', async () => {
    await admin('POST', '/api/v1/sources', { name: 'ids' });
    const { token } = await tokenFor(['ids']);
    const post = (authorization: string, source: string) =>
      api.app.inject({
        method: 'POST',
        url: `/api/v1/alerts?source=${source}`,
        headers: { ...json, authorization },
        payload: JSON.stringify({ title: 'x', rule_id: 'rx', id: `x-${source}-${authorization.length}` }),
      });
    expect((await post(`Bearer ${token}`, 'ids')).statusCode).toBe(200);
    await admin('DELETE', '/api/v1/sources/ids');
    const refused = await post(`Bearer ${token}`, 'ids');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({
      code: 'RIPOSTE_FORBIDDEN',
      message: 'ingest source ids does not exist',
    });
    const ndjson = await api.app.inject({
      method: 'POST',
      url: '/api/v1/alerts/ndjson?source=ids',
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}` },
      payload: line(1),
    });
    expect(ndjson.statusCode).toBe(403);
    // Unrestricted callers send for a name without a row, as before (`api`, the default, has none).
    expect((await post(asRole('admin').authorization, 'ids')).statusCode).toBe(200);
    const unrestricted = await tokenFor();
    expect((await post(`Bearer ${unrestricted.token}`, 'ids')).statusCode).toBe(200);
    expect((await post(`Bearer ${unrestricted.token}`, 'api')).statusCode).toBe(200);
  });

  it("stops a webhook's stream once the credential it came with is rotated away, not while it is in its grace", async () => {
    const created = await admin('POST', '/api/v1/sources', { name: 'edr' });
    const { token } = created.json() as { token: string };
    const keyring = keyringLoader(api.ctx.config);
    const accepted = checkWebhookHeaders(
      await findIngestSourceRow(handle.store.db, 'edr'),
      { token },
      api.ctx.clock.now(),
    );
    if (accepted === 'needs_body' || !accepted.accepted) throw new Error('the token was refused');
    // As the webhook route streams a body: a change made between steps is seen at the next one.
    const run = (change: UpdateSourceInput) =>
      ingestLineStream(
        api.ctx,
        {
          source: 'edr',
          format: 'json',
          stillAllowed: webhookStreamStillAllowed(api.ctx, 'edr', accepted.credential, keyring),
          lines: (async function* (): AsyncGenerator<LineRecord> {
            for (let i = 1; i <= 10; i++) {
              if (i === 5) await updateIngestSourceSettings(api.ctx, 'edr', change, SYSTEM_ACTOR, keyring);
              yield { line: i, text: line(i).trim() };
            }
          })(),
        },
        SYSTEM_ACTOR,
      );
    // Rotated with a grace, the old token goes on working: the whole stream is stored.
    await expect(run({ rotateToken: true, previousValidForMs: 60_000 })).resolves.toMatchObject({
      accepted: 10,
    });
    // Rotated again without one (it leaked), it stops at the next step.
    const broken = await run({ rotateToken: true }).catch((err: unknown) => err);
    expect(broken).toBeInstanceOf(StreamInterrupted);
    const interrupted = broken as StreamInterrupted;
    expect(interrupted.throughLine).toBe(4);
    expect(interrupted.committed.duplicates).toBe(4);
    expect(String(interrupted.cause)).toContain('the credential this call was sent with no longer works');
  });

  it('records what a change to a source did, from what to what, and never a secret', async () => {
    const created = await admin('POST', '/api/v1/sources', { name: 'ids', mapper: 'suricata', hmac: true });
    const { token, hmacSecret } = created.json() as { token: string; hmacSecret: string };
    await admin('PATCH', '/api/v1/sources/ids', { enabled: false });
    await admin('PATCH', '/api/v1/sources/ids', { mapper: 'generic', mapperConfig: { title: 'msg' } });
    await admin('PATCH', '/api/v1/sources/ids', { requireTimestamp: false, description: 'IDS' });
    const rotated = await admin('PATCH', '/api/v1/sources/ids', {
      rotateToken: true,
      removeHmacSecret: true,
      previousValidForMs: 60_000,
    });
    expect(rotated.statusCode).toBe(200);
    expect((await admin('DELETE', '/api/v1/sources/ids')).statusCode).toBe(204);
    const entries = (await readAuditEntries(handle.store.db, 0, 50)).filter((e) =>
      String(e.action).startsWith('ingest_source.'),
    );
    expect(entries.map((e) => [e.action, e.details])).toEqual([
      ['ingest_source.created', expect.anything()],
      ['ingest_source.updated', { enabled: { from: true, to: false } }],
      [
        'ingest_source.updated',
        {
          mapper: { from: 'suricata', to: 'generic' },
          mapperConfig: { from: null, to: expect.objectContaining({ title: 'msg' }) },
        },
      ],
      [
        'ingest_source.updated',
        { description: { from: '', to: 'IDS' }, requireTimestamp: { from: true, to: false } },
      ],
      ['ingest_source.updated', { token: 'rotated', hmacSecret: 'removed', previousValidForMs: 60_000 }],
      [
        'ingest_source.deleted',
        { mapper: 'generic', enabled: false, token: true, hmac: false, requireTimestamp: false },
      ],
    ]);
    const logged = JSON.stringify(entries.map((e) => e.details));
    const newToken = (rotated.json() as { token: string }).token;
    for (const secret of [token, hmacSecret, newToken]) expect(logged).not.toContain(secret);
    expect(logged).not.toMatch(/[0-9a-f]{64}/);
  });

  it('records only the settings a change altered, and nothing for a change that altered none', async () => {
    await admin('POST', '/api/v1/sources', {
      name: 'ids',
      mapper: 'generic',
      mapperConfig: { title: 'msg' },
    });
    const updates = async () =>
      (await readAuditEntries(handle.store.db, 0, 100))
        .filter((e) => e.action === 'ingest_source.updated')
        .map((e) => e.details);
    const unchanged = await admin('PATCH', '/api/v1/sources/ids', {
      description: '',
      mapper: 'generic',
      mapperConfig: { title: 'msg' },
      enabled: true,
      requireTimestamp: true,
      // No HMAC secret to remove: nothing happens to it.
      removeHmacSecret: true,
    });
    // Answered as any update is: 200 and the source.
    expect(unchanged.statusCode).toBe(200);
    expect(unchanged.json()).toMatchObject({
      source: { name: 'ids', mapper: 'generic', enabled: true, hasToken: true, hasHmacSecret: false },
    });
    expect(await updates()).toEqual([]);
    const changed = await admin('PATCH', '/api/v1/sources/ids', {
      description: 'IDS',
      mapper: 'generic',
      mapperConfig: { title: 'msg' },
      enabled: true,
    });
    expect(changed.statusCode).toBe(200);
    expect(await updates()).toEqual([{ description: { from: '', to: 'IDS' } }]);
  });

  it('records each of concurrent changes from the value the one before it left', async () => {
    await admin('POST', '/api/v1/sources', { name: 'ids' });
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => admin('PATCH', '/api/v1/sources/ids', { description: `d${i}` })),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(8).fill(200));
    const changes = (await readAuditEntries(handle.store.db, 0, 50))
      .filter((e) => e.action === 'ingest_source.updated')
      .map((e) => (e.details as { description: { from: string; to: string } }).description);
    expect(changes).toHaveLength(8);
    // In the audit log's order: no change read a value another had already replaced.
    changes.forEach((change, k) => expect(change.from).toBe(k === 0 ? '' : changes[k - 1]?.to));
  });
});

describe('webhookStillAccepted', () => {
  const row = {
    name: 'edr',
    enabled: 1,
    token_hash: 'aa',
    previous_token_hash: 'bb',
    previous_token_expires_at: 1_000,
    hmac_secret: null,
    previous_hmac_secret: null,
    previous_hmac_secret_expires_at: null,
  } as unknown as Parameters<typeof webhookStillAccepted>[0];
  const keyring = () => {
    throw new Error('no secret to open');
  };
  const token = (hash: string): WebhookCredential => ({ kind: 'token', hash });

  it('takes the current token, and the previous one only within its grace, of an enabled source', () => {
    expect(webhookStillAccepted(row, token('aa'), keyring, 5_000)).toBe(true);
    expect(webhookStillAccepted(row, token('bb'), keyring, 999)).toBe(true);
    expect(webhookStillAccepted(row, token('bb'), keyring, 1_000)).toBe(false);
    expect(webhookStillAccepted(row, token('cc'), keyring, 0)).toBe(false);
    expect(webhookStillAccepted({ ...row!, enabled: 0 }, token('aa'), keyring, 0)).toBe(false);
    expect(webhookStillAccepted(undefined, token('aa'), keyring, 0)).toBe(false);
  });
});
