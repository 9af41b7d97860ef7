import { sql, type Kysely } from 'kysely';

interface ClashingUser {
  id: string;
  username: string;
  folded: string;
  created_at: number | string;
}

/**
 * User names compare case-insensitively (`Alice` signs in as `alice`, and is refused as a second `alice`): a
 * unique index on `lower(username)` makes the store hold to it, whatever writes the row.
 *
 * A store that already holds names differing only by case cannot get the index, and Riposte cannot tell which
 * of them is the person who signs in as `alice`: renaming one behind the admin's back would send its owner's
 * password to the other account (and its lockout). So the migration stops, naming the accounts and the SQL
 * that renames them, having changed nothing, and runs once they are apart.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<ClashingUser>`
    select id, username, lower(username) as folded, created_at from users
    where lower(username) in (select lower(username) from users group by lower(username) having count(*) > 1)
    order by lower(username), created_at, id`.execute(db);
  if (rows.length > 0) throw new Error(clashMessage(rows));
  await db.schema
    .createIndex('users_username_lower')
    .on('users')
    .unique()
    .expression(sql`lower(username)`)
    .execute();
}

/** SQL string literal, for the fix the message offers. */
const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

function clashMessage(rows: readonly ClashingUser[]): string {
  const groups = new Map<string, ClashingUser[]>();
  for (const row of rows) groups.set(row.folded, [...(groups.get(row.folded) ?? []), row]);
  const named = [...groups.values()].map((g) => g.map((u) => `${u.username} (id ${u.id})`).join(', '));
  // In the example the oldest of each group keeps its name; which one should is the admin's call.
  const renames = [...groups.values()].flatMap((g) =>
    g
      .slice(1)
      .map(
        (u, i) =>
          `  UPDATE users SET username = ${quote(`${u.username}-${i + 2}`)} WHERE id = ${quote(u.id)};`,
      ),
  );
  return [
    `user names now compare case-insensitively, and these users' names differ only by case: ${named.join('; ')}.`,
    'Give each a name of its own (or disable and rename the one not in use), then start Riposte again; for example:',
    ...renames,
  ].join('\n');
}
