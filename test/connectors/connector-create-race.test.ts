import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createConnectorInstance } from '../../src/app/connectors/connector-instances.service.js';
import { createConnectorDeps } from '../../src/app/connectors/connector-runtime.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { generateMasterKey, openSecret } from '../../src/governance/secrets/secret-box.js';
import { loadKeyring } from '../../src/governance/secrets/master-key-file.js';
import { findConnectorInstance } from '../../src/store/connectors/connector-instance.repository.js';
import { createTestContext } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

describe.each(DIALECTS)('creating a connector instance on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
  });
  afterEach(() => handle.cleanup());

  it('lets one of several creates of one name succeed, and the others hear it exists', async () => {
    const ctx = createTestContext(handle.store, {
      config: { masterKey: generateMasterKey().key.toString('base64') },
    });
    const deps = createConnectorDeps(ctx);
    const keys = Array.from({ length: 6 }, (_, i) => `create-race-key-${i}00000`);
    const answers = await Promise.allSettled(
      keys.map((apiKey) =>
        createConnectorInstance(ctx, deps, SYSTEM_ACTOR, {
          name: 'vt-race',
          connector: 'virustotal',
          config: { apiKey },
        }),
      ),
    );
    const won = answers.flatMap((a, i) => (a.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const a of answers)
      if (a.status === 'rejected') expect(a.reason).toMatchObject({ code: 'RIPOSTE_CONFLICT' });
    // The instance holds the winner's secret: no later create replaced it while answering 201.
    const stored = await findConnectorInstance(handle.store.db, 'vt-race');
    expect(
      openSecret(loadKeyring(ctx.config), stored?.sealedSecrets ?? '', 'connector-instance:vt-race'),
    ).toEqual({ apiKey: keys[won[0] as number] });
  });
});
