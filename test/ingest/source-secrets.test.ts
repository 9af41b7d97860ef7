import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import { keyringLoader } from '../../src/governance/secrets/master-key-file.js';
import { generateMasterKey } from '../../src/governance/secrets/secret-box.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import * as sealSourceHmacSecrets from '../../src/store/migrations/0013_seal_source_hmac_secrets.js';
import type { MigrationContext } from '../../src/store/migrations/migration.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

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

  const signedPost = (name: string, secret: string, body: string) =>
    api.app.inject({
      method: 'POST',
      url: `/api/v1/sources/${name}/webhook`,
      payload: body,
      headers: {
        ...json,
        'x-riposte-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      },
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
    expect((await signedPost('legacy', 'plain-old-secret', alertBody('l1'))).json()).toMatchObject({
      accepted: 1,
    });
    expect((await signedPost('legacy', 'wrong-secret', alertBody('l2'))).statusCode).toBe(401);
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
