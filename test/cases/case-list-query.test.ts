import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaseRoutes } from '../../src/api/cases/cases.routes.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { attachObservable } from './case-fixtures.js';

describe.each(DIALECTS)('GET /cases query on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
    api = await buildTestApi(handle.store, [{ name: 'cases', plugin: createCaseRoutes() }]);
  });
  afterAll(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  const get = (query: string) =>
    api.app.inject({ url: `/api/v1/cases?${query}`, headers: asRole('analyst') });
  const newCase = async (title: string): Promise<string> => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/cases',
      headers: asRole('analyst'),
      payload: { title, severity: 'high', tags: ['phish'] },
    });
    expect(res.statusCode).toBe(201);
    return (res.json() as { id: string }).id;
  };
  const ids = async (query: string): Promise<string[]> => {
    const res = await get(query);
    expect(res.statusCode, `${query}: ${res.body}`).toBe(200);
    return (res.json() as { items: Array<{ id: string }> }).items.map((c) => c.id);
  };

  it('finds a case by an observable however it is written, with or without a tag', async () => {
    const kase = await newCase('Lure from a look-alike domain');
    await newCase('Unrelated');
    // Stored as ingest and case commands store them: normalised.
    await attachObservable(handle.store, kase, { type: 'domain', value: 'lure.example.com' }, Date.now());
    await attachObservable(handle.store, kase, { type: 'ipv4', value: '203.0.113.50' }, Date.now());
    for (const written of [
      'Lure.Example.COM',
      'lure[.]example[.]com',
      ' 203.0.113[.]50',
      '::ffff:203.0.113.50',
    ]) {
      const query = `observable=${encodeURIComponent(written)}`;
      expect(await ids(query), written).toEqual([kase]);
      expect(await ids(`tag=phish&${query}`), written).toEqual([kase]);
    }
  });

  it('pages on the cursors it hands out, and refuses any other cursor', async () => {
    await newCase('Older');
    await newCase('Newer');
    const first = (await get('limit=1')).json() as { items: Array<{ id: string }>; nextCursor: string };
    expect((await get(`limit=1&cursor=${first.nextCursor}`)).statusCode).toBe(200);
    // Read as positions, `garbage` restarted at the newest case (a client paging on looped forever) and a
    // cut-off cursor skipped cases.
    for (const cursor of ['garbage', '0', '', first.nextCursor.slice(0, 20), first.items[0]?.id ?? '']) {
      const res = await get(`limit=1&cursor=${encodeURIComponent(cursor)}`);
      expect(res.statusCode, cursor).toBe(400);
      expect(res.json(), cursor).toMatchObject({ details: [{ path: 'querystring.cursor' }] });
    }
  });
});
