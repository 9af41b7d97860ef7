import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import { rotateMasterKey } from '../../src/app/secrets/key-rotation.service.js';
import { signWebhook } from '../../src/connectors/vendors/webhook/webhook-signature.js';
import { keyringLoader } from '../../src/governance/secrets/master-key-file.js';
import { generateMasterKey } from '../../src/governance/secrets/secret-box.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import * as sealSourceHmacSecrets from '../../src/store/migrations/0013_seal_source_hmac_secrets.js';
import type { MigrationContext } from '../../src/store/migrations/migration.js';
import { asRole, buildTestApi, ManualClock, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, TEST_PG_URL, type TestStoreHandle } from '../support/stores.js';
import { openPgBlocker } from '../support/pg-blocker.js';
import { waitFor } from '../support/waiting.js';

const json = { 'content-type': 'application/json' };

describe.each(DIALECTS)('ingest source secrets on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  const masterKey = generateMasterKey().key.toString('base64');
  beforeEach(async () => {
    handle = await openTestStore(dialect);
    api = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }], {
      config: { masterKey },
    });
  });
  afterEach(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  const storedSecret = async (name: string): Promise<string | null> =>
    (
      await handle.store.db
        .selectFrom('ingest_sources')
        .select('hmac_secret')
        .where('name', '=', name)
        .executeTakeFirstOrThrow()
    ).hmac_secret;

  /** Signed as Riposte's own webhooks sign: over `<timestamp>.<body>`. */
  const signedPost = (name: string, secret: string, body: string) => {
    const timestamp = String(Math.floor(api.ctx.clock.now() / 1000));
    return api.app.inject({
      method: 'POST',
      url: `/api/v1/sources/${name}/webhook`,
      payload: body,
      headers: {
        ...json,
        'x-riposte-timestamp': timestamp,
        'x-riposte-signature': signWebhook(secret, timestamp, body),
      },
    });
  };

  /** Signed over the body alone, as senders set up before timestamps did (and still may, if allowed). */
  const bodySignedPost = (name: string, secret: string, body: string) =>
    api.app.inject({
      method: 'POST',
      url: `/api/v1/sources/${name}/webhook`,
      payload: body,
      headers: {
        ...json,
        'x-riposte-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      },
    });

  const admin = (method: 'POST' | 'PATCH' | 'GET', url: string, body?: unknown) =>
    api.app.inject({
      method,
      url,
      headers: { ...json, ...asRole('admin') },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });

  const tokenPost = (name: string, token: string, body: string) =>
    api.app.inject({
      method: 'POST',
      url: `/api/v1/sources/${name}/webhook`,
      payload: body,
      headers: { ...json, 'x-riposte-token': token },
    });

  const alertBody = (id: string) => JSON.stringify({ title: `signed ${id}`, severity: 'high', id });

  it('stores HMAC secrets sealed with the master key, made or rotated, and still verifies signatures', async () => {
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      headers: { ...json, ...asRole('admin') },
      payload: JSON.stringify({ name: 'edr', hmac: true }),
    });
    const { hmacSecret } = created.json() as { hmacSecret: string };
    const stored = await storedSecret('edr');
    expect(stored).toMatch(/^v1\./);
    expect(stored).not.toContain(hmacSecret);
    expect((await signedPost('edr', hmacSecret, alertBody('s1'))).json()).toMatchObject({ accepted: 1 });

    const rotated = await api.app.inject({
      method: 'PATCH',
      url: '/api/v1/sources/edr',
      headers: { ...json, ...asRole('admin') },
      payload: JSON.stringify({ rotateHmacSecret: true }),
    });
    const next = (rotated.json() as { hmacSecret: string }).hmacSecret;
    expect(await storedSecret('edr')).not.toContain(next);
    expect((await signedPost('edr', hmacSecret, alertBody('s2'))).statusCode).toBe(401);
    expect((await signedPost('edr', next, alertBody('s3'))).statusCode).toBe(200);

    // An envelope copied into another source's row does not open there (bound to the source's name).
    await api.app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      headers: { ...json, ...asRole('admin') },
      payload: JSON.stringify({ name: 'other', hmac: true }),
    });
    await handle.store.db
      .updateTable('ingest_sources')
      .set({ hmac_secret: await storedSecret('edr') })
      .where('name', '=', 'other')
      .execute();
    expect((await signedPost('other', next, alertBody('s4'))).statusCode).toBe(500);
  });

  it('re-seals source HMAC secrets when the master key is rotated: signed webhooks go on under the new key', async () => {
    const created = await admin('POST', '/api/v1/sources', { name: 'edr', hmac: true });
    const { hmacSecret: old } = created.json() as { hmacSecret: string };
    // The secret rotated away, still in its grace, is sealed too.
    const rotated = await admin('PATCH', '/api/v1/sources/edr', {
      rotateHmacSecret: true,
      previousValidForMs: 3_600_000,
    });
    const { hmacSecret } = rotated.json() as { hmacSecret: string };
    const before = await storedSecret('edr');
    const newKey = generateMasterKey().key.toString('base64');
    const outcome = await rotateMasterKey(api.ctx, SYSTEM_ACTOR, { newKey });
    expect(outcome).toMatchObject({ connectorInstances: 0, ingestSources: 2, resealed: 2 });
    const after = await storedSecret('edr');
    expect(after).toMatch(/^v1\./);
    expect(after).not.toBe(before);
    // The operator sets RIPOSTE_MASTER_KEY to the new key: the old one is gone.
    const underNewKey = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }], {
      config: { masterKey: newKey },
    });
    try {
      const timestamp = String(Math.floor(underNewKey.ctx.clock.now() / 1000));
      const body = alertBody('after-rotation');
      const signedWith = (secret: string) =>
        underNewKey.app.inject({
          method: 'POST',
          url: '/api/v1/sources/edr/webhook',
          payload: body,
          headers: {
            ...json,
            'x-riposte-timestamp': timestamp,
            'x-riposte-signature': signWebhook(secret, timestamp, body),
          },
        });
      const res = await signedWith(hmacSecret);
      expect(res.statusCode, res.body).toBe(200);
      // The secret rotated away, still in its grace.
      const previous = await signedWith(old);
      expect(previous.statusCode, previous.body).toBe(200);
    } finally {
      await underNewKey.app.close();
    }
    // Nothing to re-seal a second time under the same key.
    expect((await rotateMasterKey(api.ctx, SYSTEM_ACTOR, { newKey })).resealed).toBe(0);
  });

  it.runIf(dialect === 'postgres')(
    "keeps a source's new secret when it is rotated while the master key is (the rotation waits for it)",
    async () => {
      await admin('POST', '/api/v1/sources', { name: 'a', hmac: true });
      const leaked = (await admin('POST', '/api/v1/sources', { name: 'b', hmac: true })).json().hmacSecret;
      const newKey = generateMasterKey().key.toString('base64');
      // Source a's row held a moment by another connection: the key rotation stops there, b not read yet.
      const blocker = await openPgBlocker(handle.options.databaseSchema as string);
      try {
        await blocker.hold(`select 1 from ingest_sources where name = 'a' for update`);
        const rotation = rotateMasterKey(api.ctx, SYSTEM_ACTOR, { newKey });
        await waitFor('the rotation to wait', async () => (await blocker.waiting()) >= 1);
        // Meanwhile b's secret is rotated because it leaked (no grace).
        const fresh = (await admin('PATCH', '/api/v1/sources/b', { rotateHmacSecret: true })).json()
          .hmacSecret;
        await blocker.release();
        expect((await rotation).ingestSources).toBe(2);
        const underNewKey = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }], {
          config: { masterKey: newKey },
        });
        try {
          const post = (secret: string) => {
            const body = alertBody(`b-${secret.slice(0, 6)}`);
            const timestamp = String(Math.floor(underNewKey.ctx.clock.now() / 1000));
            return underNewKey.app.inject({
              method: 'POST',
              url: '/api/v1/sources/b/webhook',
              payload: body,
              headers: {
                ...json,
                'x-riposte-timestamp': timestamp,
                'x-riposte-signature': signWebhook(secret, timestamp, body),
              },
            });
          };
          // Before, the rotation wrote back the secret it had read: the leaked one worked again, the new not.
          expect((await post(fresh as string)).statusCode).toBe(200);
          expect((await post(leaked as string)).statusCode).toBe(401);
        } finally {
          await underNewKey.app.close();
        }
      } finally {
        await blocker.close();
      }
    },
  );

  it('keeps a rotated credential working beside its replacement for previousValidForMs, and no longer', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const graced = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }], {
      clock,
      config: { masterKey },
    });
    const call = (method: 'POST' | 'PATCH', url: string, body: unknown) =>
      graced.app.inject({
        method,
        url,
        headers: { ...json, ...asRole('admin') },
        payload: JSON.stringify(body),
      });
    let sent = 0;
    const byToken = async (token: string): Promise<number> =>
      (
        await graced.app.inject({
          method: 'POST',
          url: '/api/v1/sources/edr/webhook',
          payload: alertBody(`t${(sent += 1)}`),
          headers: { ...json, 'x-riposte-token': token },
        })
      ).statusCode;
    const bySignature = async (secret: string): Promise<number> => {
      const timestamp = String(Math.floor(clock.now() / 1000));
      const body = alertBody(`s${(sent += 1)}`);
      const headers = { ...json, 'x-riposte-timestamp': timestamp };
      return (
        await graced.app.inject({
          method: 'POST',
          url: '/api/v1/sources/edr/webhook',
          payload: body,
          headers: { ...headers, 'x-riposte-signature': signWebhook(secret, timestamp, body) },
        })
      ).statusCode;
    };
    try {
      const created = (await call('POST', '/api/v1/sources', { name: 'edr', hmac: true })).json() as {
        token: string;
        hmacSecret: string;
      };
      const hour = 3_600_000;
      const rotated = await call('PATCH', '/api/v1/sources/edr', {
        rotateToken: true,
        rotateHmacSecret: true,
        previousValidForMs: hour,
      });
      expect(rotated.statusCode, rotated.body).toBe(200);
      const first = rotated.json() as { token: string; hmacSecret: string };
      expect(rotated.json().source).toMatchObject({
        previousTokenExpiresAt: clock.now() + hour,
        previousHmacSecretExpiresAt: clock.now() + hour,
      });
      expect(await Promise.all([byToken(created.token), byToken(first.token)])).toEqual([200, 200]);
      expect(await Promise.all([bySignature(created.hmacSecret), bySignature(first.hmacSecret)])).toEqual([
        200, 200,
      ]);

      // Rotated again within the grace: the credential it replaces is the previous one now, not the first.
      const again = await call('PATCH', '/api/v1/sources/edr', {
        rotateToken: true,
        previousValidForMs: 60_000,
      });
      const second = again.json() as { token: string };
      expect(await byToken(created.token)).toBe(401);
      expect(await Promise.all([byToken(first.token), byToken(second.token)])).toEqual([200, 200]);

      clock.advance(60_000);
      expect(await byToken(first.token)).toBe(401);
      expect(await byToken(second.token)).toBe(200);
      // The HMAC secret's own grace runs on.
      expect(await bySignature(created.hmacSecret)).toBe(200);

      // Rotated without a grace (it leaked): the old one and any still in a grace stop at once.
      const leaked = await call('PATCH', '/api/v1/sources/edr', { rotateHmacSecret: true });
      expect(leaked.json().source).toMatchObject({ previousHmacSecretExpiresAt: null });
      const third = leaked.json() as { hmacSecret: string };
      expect(await bySignature(created.hmacSecret)).toBe(401);
      expect(await bySignature(first.hmacSecret)).toBe(401);
      expect(await bySignature(third.hmacSecret)).toBe(200);

      // Removing a credential ends its previous one too.
      const before = (
        await call('PATCH', '/api/v1/sources/edr', { rotateToken: true, previousValidForMs: hour })
      ).json() as { token: string };
      await call('PATCH', '/api/v1/sources/edr', { removeToken: true });
      expect(await Promise.all([byToken(second.token), byToken(before.token)])).toEqual([401, 401]);

      // A grace goes with a rotation, and lasts at most 7 days.
      for (const body of [
        { previousValidForMs: 1_000 },
        { rotateToken: true, previousValidForMs: 7 * 24 * hour + 1 },
        { rotateToken: true, previousValidForMs: 0 },
      ]) {
        const refused = await call('PATCH', '/api/v1/sources/edr', body);
        expect(refused.statusCode, JSON.stringify(body)).toBe(400);
        expect(refused.body).toContain('previousValidForMs');
      }
    } finally {
      await graced.app.close();
    }
  });

  it('opens what a replaced key sealed with RIPOSTE_MASTER_KEY_PREVIOUS, and re-seals it under the current key', async () => {
    // A process still on the old key (not restarted yet) made a source after the rotation.
    const { hmacSecret } = (await admin('POST', '/api/v1/sources', { name: 'late', hmac: true })).json();
    const newKey = generateMasterKey().key.toString('base64');
    const signed = async (config: { masterKey: string; masterKeyPrevious?: string }) => {
      const other = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }], { config });
      try {
        const body = alertBody(`late-${Object.keys(config).length}`);
        const timestamp = String(Math.floor(other.ctx.clock.now() / 1000));
        const res = await other.app.inject({
          method: 'POST',
          url: '/api/v1/sources/late/webhook',
          payload: body,
          headers: {
            ...json,
            'x-riposte-timestamp': timestamp,
            'x-riposte-signature': signWebhook(hmacSecret as string, timestamp, body),
          },
        });
        return res.statusCode;
      } finally {
        await other.app.close();
      }
    };
    // The new key alone cannot open it; with the old one as previous, it can.
    expect(await signed({ masterKey: newKey })).toBe(500);
    expect(await signed({ masterKey: newKey, masterKeyPrevious: masterKey })).toBe(200);
    // Rotating to the key already in use re-seals only what older keys sealed: then the new key alone does.
    const sweeper = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }], {
      config: { masterKey: newKey, masterKeyPrevious: masterKey },
    });
    try {
      const swept = await rotateMasterKey(sweeper.ctx, SYSTEM_ACTOR, { newKey });
      expect(swept).toMatchObject({ ingestSources: 1, resealed: 1 });
    } finally {
      await sweeper.app.close();
    }
    expect(await signed({ masterKey: newKey })).toBe(200);
  });

  it('seals a secret stored in the clear by an older version when migrating, and refuses without a key', async () => {
    const now = Date.now();
    await handle.store.db
      .insertInto('ingest_sources')
      .values({
        name: 'legacy',
        description: '',
        mapper: 'auto',
        mapper_config: null,
        token_hash: null,
        hmac_secret: 'plain-old-secret',
        enabled: 1,
        created_at: now,
        updated_at: now,
      })
      .execute();
    // Runs the migration's step again, as on a database last migrated before it existed (the migrator itself
    // refuses to re-run an early migration once later ones are applied, so its step is called directly).
    const migrateAgain = (keyring?: MigrationContext['keyring']) =>
      handle.store.db.transaction().execute((trx) =>
        sealSourceHmacSecrets.up(trx as unknown as Kysely<unknown>, {
          dialect: handle.store.dialect,
          keyring,
        }),
      );
    await expect(migrateAgain()).rejects.toThrow(/legacy has an HMAC secret stored in the clear/);
    expect(await storedSecret('legacy')).toBe('plain-old-secret');

    await migrateAgain(keyringLoader({ masterKey, dataDir: '/nonexistent' }));
    expect(await storedSecret('legacy')).toMatch(/^v1\./);
    expect((await bodySignedPost('legacy', 'plain-old-secret', alertBody('l1'))).json()).toMatchObject({
      accepted: 1,
    });
    expect((await bodySignedPost('legacy', 'wrong-secret', alertBody('l2'))).statusCode).toBe(401);
  });

  it('lists each source with when its newest alert was received, null before its first', async () => {
    await admin('POST', '/api/v1/sources', { name: 'quiet' });
    const { token: busyToken } = (await admin('POST', '/api/v1/sources', { name: 'busy' })).json();
    const before = Date.now();
    for (const id of ['b1', 'b2', 'b3']) await tokenPost('busy', busyToken as string, alertBody(id));
    const listed = (await admin('GET', '/api/v1/sources')).json().sources as Array<{
      name: string;
      lastAlertAt: number | null;
    }>;
    const at = (name: string) => listed.find((s) => s.name === name)?.lastAlertAt;
    expect(at('quiet')).toBeNull();
    expect(at('busy')).toBeGreaterThanOrEqual(before);
    expect(at('busy')).toBeLessThanOrEqual(Date.now());
    const newest = await handle.store.db
      .selectFrom('alerts')
      .select((eb) => eb.fn.max('created_at').as('at'))
      .where('source', '=', 'busy')
      .executeTakeFirstOrThrow();
    expect(at('busy')).toBe(Number(newest.at));
  });

  it('answers 409, not 500, when the same source is created twice, even at once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => admin('POST', '/api/v1/sources', { name: 'edr', hmac: true })),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    for (const a of answers.filter((r) => r.statusCode === 409)) {
      expect(a.json()).toMatchObject({
        code: 'RIPOSTE_CONFLICT',
        message: 'a source named edr already exists',
      });
    }
    expect((await admin('POST', '/api/v1/sources', { name: 'edr' })).statusCode).toBe(409);
    expect((await admin('GET', '/api/v1/sources')).json().sources).toHaveLength(1);
  });

  it('makes token-only, HMAC-only or two-credential sources, and rotates or removes each credential alone', async () => {
    const tokenOnly = await admin('POST', '/api/v1/sources', { name: 'tok' });
    expect(Object.keys(tokenOnly.json()).sort()).toEqual(['source', 'token']);
    expect(tokenOnly.json().source).toMatchObject({ hasToken: true, hasHmacSecret: false });

    // `hmac: true` alone still makes both, as it did before a source could go without a token.
    const both = await admin('POST', '/api/v1/sources', { name: 'both', hmac: true });
    expect(both.statusCode).toBe(201);
    const { token, hmacSecret } = both.json() as { token: string; hmacSecret: string };
    expect(both.json().source).toMatchObject({ hasToken: true, hasHmacSecret: true });

    const signedOnly = await admin('POST', '/api/v1/sources', { name: 'sig', hmac: true, token: false });
    expect(Object.keys(signedOnly.json()).sort()).toEqual(['hmacSecret', 'source']);
    expect(signedOnly.json().source).toMatchObject({ hasToken: false, hasHmacSecret: true });
    const sigSecret = signedOnly.json().hmacSecret as string;
    expect((await signedPost('sig', sigSecret, alertBody('g1'))).statusCode).toBe(200);
    expect((await tokenPost('sig', token, alertBody('g2'))).statusCode).toBe(401);

    // The token alone no longer lets a call in once removed; the signature still does.
    expect((await tokenPost('both', token, alertBody('b1'))).statusCode).toBe(200);
    const removed = await admin('PATCH', '/api/v1/sources/both', { removeToken: true });
    expect(removed.statusCode).toBe(200);
    expect(Object.keys(removed.json())).toEqual(['source']);
    expect(removed.json().source).toMatchObject({ hasToken: false, hasHmacSecret: true });
    expect((await tokenPost('both', token, alertBody('b2'))).statusCode).toBe(401);
    expect((await signedPost('both', hmacSecret, alertBody('b3'))).statusCode).toBe(200);

    // A token comes back (a new one), and the HMAC secret goes, in one change.
    const swapped = await admin('PATCH', '/api/v1/sources/both', {
      rotateToken: true,
      removeHmacSecret: true,
    });
    expect(swapped.statusCode).toBe(200);
    const next = swapped.json().token as string;
    expect(swapped.json()).not.toHaveProperty('hmacSecret');
    expect(swapped.json().source).toMatchObject({ hasToken: true, hasHmacSecret: false });
    expect((await signedPost('both', hmacSecret, alertBody('b4'))).statusCode).toBe(401);
    expect((await tokenPost('both', next, alertBody('b5'))).statusCode).toBe(200);

    // A token-only source gets an HMAC secret by rotating one in.
    const added = await admin('PATCH', '/api/v1/sources/tok', { rotateHmacSecret: true });
    expect(added.json().source).toMatchObject({ hasToken: true, hasHmacSecret: true });
    expect((await signedPost('tok', added.json().hmacSecret, alertBody('t1'))).statusCode).toBe(200);

    const listed = JSON.stringify((await admin('GET', '/api/v1/sources')).json());
    const audited = JSON.stringify(await readAuditEntries(handle.store.db, 0, 1000));
    for (const secret of [token, hmacSecret, sigSecret, next, added.json().hmacSecret as string]) {
      expect(listed).not.toContain(secret);
      expect(audited).not.toContain(secret);
    }
  });

  it('refuses a source left with no credential, contradictory changes and unknown fields with 400', async () => {
    const none = await admin('POST', '/api/v1/sources', { name: 'none', token: false });
    expect(none.statusCode).toBe(400);
    expect(none.json().message).toMatch(/needs a token or an HMAC secret/);
    expect((await admin('GET', '/api/v1/sources')).json().sources).toEqual([]);

    const created = await admin('POST', '/api/v1/sources', { name: 'edr' });
    const { token } = created.json() as { token: string };
    const lastOne = await admin('PATCH', '/api/v1/sources/edr', { removeToken: true });
    expect(lastOne.statusCode).toBe(400);
    expect(lastOne.json().message).toMatch(/needs a token or an HMAC secret/);
    expect((await tokenPost('edr', token, alertBody('e1'))).statusCode).toBe(200);

    const both = await admin('PATCH', '/api/v1/sources/edr', { rotateToken: true, removeToken: true });
    expect(both.statusCode).toBe(400);
    expect(both.json().message).toMatch(/rotateToken and removeToken cannot both be true/);

    // Misspelt or made-up fields once answered 200 and changed nothing, the token staying valid.
    for (const body of [{ revokeToken: true }, { token: null }, { hmac: false }, { hasToken: false }]) {
      const res = await admin('PATCH', '/api/v1/sources/edr', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().message).toContain(`"${Object.keys(body)[0]}"`);
    }
    const unknown = await admin('POST', '/api/v1/sources', { name: 'x2', tokenless: true });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toContain('"tokenless"');
    expect((await tokenPost('edr', token, alertBody('e2'))).statusCode).toBe(200);
  });

  it('refuses one of two concurrent changes that would each remove the other credential', async () => {
    await admin('POST', '/api/v1/sources', { name: 'edr', hmac: true });
    // On PostgreSQL a third connection holds the row until both changes wait on it, so each could have read
    // it with both credentials before either wrote (SQLite runs one write transaction at a time).
    const holder =
      dialect === 'postgres'
        ? new pg.Client({
            connectionString: TEST_PG_URL,
            options: `-c search_path=${handle.options.databaseSchema}`,
          })
        : undefined;
    await holder?.connect();
    await holder?.query('begin');
    await holder?.query(`select 1 from ingest_sources where name = 'edr' for update`);
    const changes = Promise.all([
      admin('PATCH', '/api/v1/sources/edr', { removeToken: true }),
      admin('PATCH', '/api/v1/sources/edr', { removeHmacSecret: true }),
    ]);
    if (holder) {
      const holderPid = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
      // The second change waits behind the first, which waits on the holder: both are counted.
      await waitFor('both changes to wait on the row', async () => {
        // Inside a transaction pg_stat_activity is read once unless its snapshot is cleared.
        await holder.query('select pg_stat_clear_snapshot()');
        const { rows } = await holder.query<{ pid: number; by: number[] }>(
          'select pid, pg_blocking_pids(pid) as by from pg_stat_activity where cardinality(pg_blocking_pids(pid)) > 0',
        );
        const behind = new Set([holderPid]);
        for (let grew = true; grew;) {
          grew = false;
          for (const r of rows) {
            if (!behind.has(r.pid) && r.by.some((pid) => behind.has(pid))) grew = Boolean(behind.add(r.pid));
          }
        }
        return behind.size - 1 === 2;
      });
      await holder.query('commit');
      await holder.end();
    }
    const answers = await changes;
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 400]);
    const [source] = (await admin('GET', '/api/v1/sources')).json().sources;
    expect(Number(source.hasToken) + Number(source.hasHmacSecret)).toBe(1);
  });

  it('lets concurrent webhook calls of one source share transactions, each answered with its own alert', async () => {
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      headers: { ...json, ...asRole('admin') },
      payload: JSON.stringify({ name: 'burst' }),
    });
    const { token } = created.json() as { token: string };
    const before = (await readAuditEntries(handle.store.db, 0, 1000)).length;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.app.inject({
          method: 'POST',
          url: '/api/v1/sources/burst/webhook',
          payload: JSON.stringify({
            title: `burst ${i}`,
            severity: 'low',
            id: `b${i}`,
            src_ip: `45.33.9.${i}`,
          }),
          headers: { ...json, 'x-riposte-token': token },
        }),
      ),
    );
    for (const a of answers) expect(a.json()).toMatchObject({ accepted: 1, items: [{ index: 0 }] });
    const ingested = (await readAuditEntries(handle.store.db, 0, 1000))
      .slice(before)
      .filter((e) => e.action === 'alerts.ingested');
    // One audit entry per transaction: fewer than one per call means calls were committed together.
    expect(ingested.length).toBeLessThan(20);
    expect(ingested.reduce((n, e) => n + Number(e.details.accepted ?? 0), 0)).toBe(20);
  });
});
