import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findUserRowByUsername, insertUser } from '../../src/store/identity/user.repository.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const MIGRATION = '0021_a_username_case_insensitive';

describe.each(DIALECTS)(`migration ${MIGRATION} on %s`, (dialect) => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    // The schema as the migration before it left it, where names could differ by case alone.
    handle = await openTestStore(dialect, { upTo: '0020_a_source_previous_credentials' });
  });
  afterEach(async () => {
    await handle.cleanup();
  });

  const addUser = (id: string, username: string, createdAt: number) =>
    insertUser(
      handle.store.db,
      { id, username, displayName: username, passwordHash: null, roles: ['viewer'] },
      createdAt,
    );
  const migrated = async () =>
    (
      await handle.store.db
        .selectFrom('riposte_migrations' as never)
        .select('name' as never)
        .execute()
    ).map((r) => (r as { name: string }).name);

  it('indexes names that differ in more than case, and then refuses a second name in another case', async () => {
    await addUser('u-alice', 'Alice', 1);
    await addUser('u-bob', 'bob', 2);
    expect((await handle.store.migrate({ upTo: MIGRATION })).applied).toEqual([MIGRATION]);
    await expect(addUser('u-alice-2', 'ALICE', 3)).rejects.toThrow();
    expect((await findUserRowByUsername(handle.store.db, 'aLICE'))?.username).toBe('Alice');
  });

  it('stops, naming the clashing users and how to part them, and runs once they are apart', async () => {
    await addUser('u-frank-new', 'frank', 20);
    await addUser('u-frank-old', 'Frank', 10);
    await addUser('u-gina', 'gina', 30);
    await addUser('u-gina-2', 'GINA', 40);
    await addUser('u-hal', 'hal', 50);
    const failed = handle.store.migrate({ upTo: MIGRATION });
    await expect(failed).rejects.toThrow(
      new RegExp(
        `^migration ${MIGRATION} failed: user names now compare case-insensitively, and these users' names ` +
          'differ only by case: Frank \\(id u-frank-old\\), frank \\(id u-frank-new\\); ' +
          'gina \\(id u-gina\\), GINA \\(id u-gina-2\\)\\.\\n',
      ),
    );
    // The oldest keeps its name in the SQL offered; running it is all it takes.
    const message = await failed.then(
      () => '',
      (err: Error) => err.message,
    );
    const fixes = message.split('\n').filter((l) => l.trim().startsWith('UPDATE'));
    expect(fixes.map((l) => l.trim())).toEqual([
      "UPDATE users SET username = 'frank-2' WHERE id = 'u-frank-new';",
      "UPDATE users SET username = 'GINA-2' WHERE id = 'u-gina-2';",
    ]);
    expect(await migrated()).not.toContain(MIGRATION);
    // Every row as it was.
    expect(
      (await handle.store.db.selectFrom('users').select(['id', 'username']).orderBy('id').execute()).map(
        (u) => `${u.id}=${u.username}`,
      ),
    ).toEqual(['u-frank-new=frank', 'u-frank-old=Frank', 'u-gina=gina', 'u-gina-2=GINA', 'u-hal=hal']);

    await handle.store.db
      .updateTable('users')
      .set({ username: 'frank-2' })
      .where('id', '=', 'u-frank-new')
      .execute();
    await handle.store.db
      .updateTable('users')
      .set({ username: 'GINA-2' })
      .where('id', '=', 'u-gina-2')
      .execute();
    expect((await handle.store.migrate({ upTo: MIGRATION })).applied).toEqual([MIGRATION]);
    expect(await migrated()).toContain(MIGRATION);
    expect((await findUserRowByUsername(handle.store.db, 'FRANK'))?.id).toBe('u-frank-old');
  });
});
