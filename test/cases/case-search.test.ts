import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCaseComment, updateCase } from '../../src/app/cases/case-commands.js';
import { listCases } from '../../src/store/cases/case-query.repository.js';
import { rebuildCaseSearch } from '../../src/store/cases/case-search.repository.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { ANALYST, depsOf, inTransaction, openCase } from './case-fixtures.js';

const T0 = Date.UTC(2026, 5, 1);

describe.each(DIALECTS)('case text search on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
  });
  afterAll(async () => handle.cleanup());

  const search = async (text: string): Promise<string[]> =>
    (await listCases(handle.store.db, { text }, { limit: 50 }, handle.store.dialect)).items.map(
      (c) => c.title,
    );

  it('finds cases by words and word prefixes in title, description and comments, kept in step', async () => {
    const { store } = handle;
    const deps = depsOf(store);
    const a = await openCase(store, { title: 'Ransomware on HR-LAPTOP-7' }, T0);
    const b = await openCase(store, { title: 'Beaconing from host-12' }, T0 + 1);
    await openCase(store, { title: 'Beaconing from host-120' }, T0 + 2);
    expect(await search('hr-laptop')).toEqual(['Ransomware on HR-LAPTOP-7']);
    expect(await search('RANSOM')).toEqual(['Ransomware on HR-LAPTOP-7']);
    // A term is a phrase: "host 12" with 12 as a prefix, so host-120 matches too, but not "12 host".
    expect(await search('host-12')).toEqual(['Beaconing from host-120', 'Beaconing from host-12']);
    expect(await search('beaconing laptop')).toEqual([]);
    expect(await search('%_')).toEqual([]);

    await inTransaction(store, (trx) =>
      addCaseComment(
        trx,
        deps,
        { caseId: b.id, body: 'Seen talking to **c2.evil.example** over TLS', actor: ANALYST },
        T0 + 3,
      ),
    );
    expect(await search('evil.example')).toEqual(['Beaconing from host-12']);
    await inTransaction(store, (trx) =>
      updateCase(
        trx,
        deps,
        {
          caseId: a.id,
          patch: { title: 'Encrypted share', description: 'Finance file server' },
          actor: ANALYST,
        },
        T0 + 4,
      ),
    );
    expect(await search('ransomware')).toEqual([]);
    expect(await search('finance serv')).toEqual(['Encrypted share']);

    // A rebuild from the cases and their comments gives the same index.
    const before = await store.db.selectFrom('case_search').selectAll().orderBy('case_id').execute();
    await store.db.deleteFrom('case_search').execute();
    expect(await search('finance')).toEqual([]);
    await rebuildCaseSearch(store.db);
    expect(await store.db.selectFrom('case_search').selectAll().orderBy('case_id').execute()).toEqual(before);
    expect(await search('evil')).toEqual(['Beaconing from host-12']);
  });
});
