import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

/** The `riposte/sql-in-store` findings for `code` as if it were the file at `path` (relative to the repo). */
async function sqlFindings(code: string, path: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, path) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'riposte/sql-in-store').map((m) => m.message);
}

const QUERIES = `import { sql, type Kysely } from 'kysely';
export async function f(db: Kysely<never>) {
  await db.selectFrom('cases').selectAll().execute();
  await db.updateTable('cases').set({}).execute();
  await db.with('x', (q) => q).selectFrom('x').execute();
  await sql\`select 1\`.execute(db);
}
`;

describe('riposte/sql-in-store', () => {
  it('flags query builders, the sql tag and its import outside src/store, saying where SQL belongs', async () => {
    for (const path of ['src/app/cases/x.ts', 'src/api/x.ts', 'src/cli/x.ts', 'src/worker/runs/x.ts']) {
      const found = await sqlFindings(QUERIES, path);
      // The sql import, selectFrom, updateTable, with and the selectFrom after it, the sql tag.
      expect(found, path).toHaveLength(6);
      for (const name of ['selectFrom', 'updateTable', 'with', 'sql'])
        expect(found.some((m) => m.includes(`\`${name}\``))).toBe(true);
      for (const m of found)
        expect(m).toMatch(/^SQL belongs in src\/store: move this .* repository function/);
    }
  });

  it('allows SQL in src/store, its migrations, tests and benches', async () => {
    for (const path of [
      'src/store/cases/x.repository.ts',
      'src/store/migrations/0099_x.ts',
      'test/cases/x.test.ts',
      'src/app/cases/x.test.ts',
      'bench/x.ts',
    ]) {
      expect(await sqlFindings(QUERIES, path), path).toEqual([]);
    }
  });

  it('leaves type-only Kysely imports and unrelated calls alone', async () => {
    const code = `import type { Kysely, Transaction } from 'kysely';
export const g = (db: Kysely<never>, t: Transaction<never>, m: Map<string, number>) => [db, t, m.get('a')];
`;
    expect(await sqlFindings(code, 'src/app/cases/x.ts')).toEqual([]);
  });
});
