import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPostgresSchema } from '../../src/store/dialects/postgres.js';
import { openStore, type Store } from '../../src/store/store.js';
import { TEST_PG_URL, testSchemaName } from '../support/stores.js';
import { waitFor } from '../support/waiting.js';

// A schema-qualified channel such as `<schema>.case:<uuid>` passes PostgreSQL's 63-byte limit on channel names.
describe('PostgreSQL notifier', () => {
  const schema = `${testSchemaName()}_with_a_long_deployment_name`;
  let store: Store;
  beforeAll(async () => {
    store = await openStore({ databaseUrl: TEST_PG_URL, databaseSchema: schema, sqlitePath: '' });
  });
  afterAll(async () => {
    await store.close();
    await dropPostgresSchema(TEST_PG_URL, schema);
  });

  it('wakes a listener on a channel whose qualified name is over 63 bytes', async () => {
    const channel = 'case:0192f3a4-5b6c-7d8e-9f00-112233445566';
    expect(Buffer.byteLength(`${schema}.${channel}`)).toBeGreaterThan(63);
    let woken = 0;
    const stop = await store.notifier.listen(channel, () => {
      woken += 1;
    });
    try {
      await store.notifier.notify(channel);
      await waitFor('the notification', async () => (woken > 0 ? woken : undefined));
      expect(woken).toBe(1);
    } finally {
      await stop();
    }
  });

  it('keeps the two channels apart', async () => {
    let other = 0;
    const stop = await store.notifier.listen('case:0192f3a4-5b6c-7d8e-9f00-000000000000', () => {
      other += 1;
    });
    try {
      await store.notifier.notify('case:0192f3a4-5b6c-7d8e-9f00-112233445566');
      await new Promise((r) => setTimeout(r, 200));
      expect(other).toBe(0);
    } finally {
      await stop();
    }
  });
});
