import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectorInstance } from '../../src/app/connectors/connector-instances.service.js';
import { createConnectorDeps } from '../../src/app/connectors/connector-runtime.js';
import { rotateMasterKey } from '../../src/app/secrets/key-rotation.service.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { loadKeyring } from '../../src/governance/secrets/master-key-file.js';
import { generateMasterKey, openSecret, sealSecret } from '../../src/governance/secrets/secret-box.js';
import { findConnectorInstance } from '../../src/store/connectors/connector-instance.repository.js';
import { createTestContext } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

describe.each(DIALECTS)('master key rotation on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
  });
  afterAll(() => handle.cleanup());

  it('re-seals every instance under a new key file and the old key is gone', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'riposte-rotate-'));
    const ctx = createTestContext(handle.store, { config: { dataDir } });
    await createConnectorInstance(ctx, createConnectorDeps(ctx), SYSTEM_ACTOR, {
      name: 'vt-a',
      connector: 'virustotal',
      config: { apiKey: 'rotate-me-0000001' },
    });
    const before = loadKeyring(ctx.config);
    const outcome = await rotateMasterKey(ctx, SYSTEM_ACTOR);
    expect(outcome).toMatchObject({ previousKeyId: before.primary.id, resealed: 1, source: 'file' });
    const after = loadKeyring(ctx.config);
    expect(after.primary.id).toBe(outcome.keyId);
    expect(after.previous).toEqual([]);
    const stored = await findConnectorInstance(handle.store.db, 'vt-a');
    expect(openSecret(after, stored?.sealedSecrets ?? '', 'connector-instance:vt-a')).toEqual({
      apiKey: 'rotate-me-0000001',
    });
  });

  it('with a configured key, requires the new key and re-seals under it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'riposte-rotate-'));
    const oldKey = generateMasterKey();
    const ctx = createTestContext(handle.store, {
      config: { dataDir, masterKey: oldKey.key.toString('base64') },
    });
    await handle.store.db.deleteFrom('connector_instances').execute();
    await createConnectorInstance(ctx, createConnectorDeps(ctx), SYSTEM_ACTOR, {
      name: 'vt-b',
      connector: 'virustotal',
      config: { apiKey: 'rotate-me-0000002' },
    });
    await expect(rotateMasterKey(ctx, SYSTEM_ACTOR)).rejects.toThrow(/--new-key/);
    // An envelope no configured key opens stops the rotation before anything changes.
    const stray = sealSecret(
      { primary: generateMasterKey(), previous: [] },
      { apiKey: 'x' },
      'connector-instance:stray',
    );
    await handle.store.db
      .insertInto('connector_instances')
      .values({
        name: 'stray',
        connector: 'virustotal',
        config: '{}',
        secrets: stray,
        is_default: 0,
        created_at: 0,
        updated_at: 0,
      })
      .execute();
    await expect(
      rotateMasterKey(ctx, SYSTEM_ACTOR, { newKey: generateMasterKey().key.toString('hex') }),
    ).rejects.toThrow(/instance stray/);
    const untouched = await findConnectorInstance(handle.store.db, 'vt-b');
    expect(
      openSecret(
        { primary: oldKey, previous: [] },
        untouched?.sealedSecrets ?? '',
        'connector-instance:vt-b',
      ),
    ).toEqual({ apiKey: 'rotate-me-0000002' });
    await handle.store.db.deleteFrom('connector_instances').where('name', '=', 'stray').execute();
    const next = generateMasterKey();
    const outcome = await rotateMasterKey(ctx, SYSTEM_ACTOR, { newKey: next.key.toString('hex') });
    expect(outcome).toMatchObject({ keyId: next.id, source: 'config' });
    expect(outcome.resealed).toBe(1);
    const stored = await findConnectorInstance(handle.store.db, 'vt-b');
    expect(
      openSecret({ primary: next, previous: [] }, stored?.sealedSecrets ?? '', 'connector-instance:vt-b'),
    ).toEqual({ apiKey: 'rotate-me-0000002' });
  });
});
