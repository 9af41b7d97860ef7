import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiInstance } from '../../src/api/route-plugin.js';
import { issueApprovalLinks, previewApprovalLink } from '../../src/app/playbooks/approval-decisions.js';
import { ManualClock } from '../../src/domain/shared/clock.js';
import { MAX_FAILED_LOGINS } from '../../src/governance/identity/lockout.js';
import { hashPassword } from '../../src/governance/identity/password.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { findUserRowByUsername, insertUser } from '../../src/store/identity/user.repository.js';
import { upsertApprovalRequest } from '../../src/store/runs/approval.repository.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { buildGovernanceApi, cookieOf } from './governance-api.js';

const ADMIN_PASSWORD = 'correct horse battery staple';
const PASSWORD = 'quiet amber lantern 42';

// One person, one account, whatever case their name is typed in; the name is shown as it was created.
describe.each(DIALECTS)('user names in any case on %s', (dialect) => {
  let handle: TestStoreHandle;
  let app: ApiInstance;
  let ctx: Awaited<ReturnType<typeof buildGovernanceApi>>['ctx'];
  let admin: Record<string, string>;
  const clock = new ManualClock(Date.UTC(2026, 0, 1));

  const signIn = async (username: string, password: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  const createUser = async (username: string, roles = ['responder']) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: admin,
      payload: { username, roles, password: PASSWORD },
    });

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    ({ app, ctx } = await buildGovernanceApi(handle.store, { clock }));
    await insertUser(
      handle.store.db,
      {
        id: 'admin-id',
        username: 'admin',
        displayName: 'Administrator',
        passwordHash: await hashPassword(ADMIN_PASSWORD),
        roles: ['admin'],
      },
      clock.now(),
    );
    const login = await signIn('admin', ADMIN_PASSWORD);
    admin = { cookie: cookieOf(login.headers['set-cookie']), 'x-csrf-token': login.json().csrfToken };
  });
  // Sign-in is rate limited per address; ten minutes between tests refill the bucket (sessions last 12 h).
  beforeEach(() => clock.advance(10 * 60 * 1000));
  afterAll(async () => {
    await app.close();
    await handle.cleanup();
  });

  it('keeps the case a name was created with, and refuses the same name in another case with a 409', async () => {
    const created = await createUser('Alice');
    expect(created.statusCode).toBe(201);
    expect(created.json().user).toMatchObject({ username: 'Alice' });
    for (const again of ['alice', 'ALICE', 'aLiCe']) {
      const res = await createUser(again);
      expect(res.statusCode, again).toBe(409);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'RIPOSTE_CONFLICT' });
      expect(res.json().message).toContain('Alice');
    }
    const listed = await app.inject({ url: '/api/v1/users', headers: admin });
    const names = (listed.json().items as Array<{ username: string }>).map((u) => u.username);
    expect(names.filter((n) => n.toLowerCase() === 'alice')).toEqual(['Alice']);
  });

  it('makes one user of names in different cases created at once, and answers the others 409', async () => {
    const answers = await Promise.all(['Kim', 'KIM', 'kim', 'kIm'].map((name) => createUser(name)));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409, 409, 409]);
    const listed = await app.inject({ url: '/api/v1/users', headers: admin });
    const names = (listed.json().items as Array<{ username: string }>).map((u) => u.username);
    expect(names.filter((n) => n.toLowerCase() === 'kim')).toHaveLength(1);
  });

  it('signs the same user in whatever case the name is typed in', async () => {
    for (const typed of ['Alice', 'alice', 'ALICE']) {
      const res = await signIn(typed, PASSWORD);
      expect(res.statusCode, typed).toBe(200);
      expect(res.json().user).toMatchObject({ username: 'Alice' });
    }
  });

  it('finds no user by a name outside ASCII, on both stores alike (PostgreSQL folded the Kelvin sign to k)', async () => {
    // The Kelvin sign folds to k in PostgreSQL's lower(), not in SQLite's.
    expect((await createUser('kate')).statusCode).toBe(201);
    expect((await signIn('kate', PASSWORD)).statusCode).toBe(200);
    expect((await signIn('\u212Aate', PASSWORD)).statusCode).toBe(401);
  });

  it('counts failed sign-ins against one account across cases, and locks it for every case', async () => {
    expect((await createUser('Dave')).statusCode).toBe(201);
    const dave = await findUserRowByUsername(handle.store.db, 'Dave');
    const typings = ['dave', 'DAVE', 'Dave', 'dAVE', 'daVe'];
    expect(typings).toHaveLength(MAX_FAILED_LOGINS);
    const from = (await readAuditEntries(handle.store.db, 0, 100_000)).length;
    for (const typed of typings)
      expect((await signIn(typed, 'not his password at all')).statusCode).toBe(401);
    const failures = (await readAuditEntries(handle.store.db, 0, 100_000))
      .slice(from)
      .filter((e) => e.action === 'auth.login_failed');
    // Each attempt is recorded against Dave's account, as he is named, and counted towards the lock.
    expect(failures.map((e) => e.details)).toEqual(
      typings.map((_, i) => expect.objectContaining({ reason: 'wrong password', failedLogins: i + 1 })),
    );
    for (const e of failures) expect(e.actor).toMatchObject({ id: dave?.id, name: 'Dave' });
    for (const typed of ['Dave', 'dave', 'DAVE']) {
      expect((await signIn(typed, PASSWORD)).statusCode, typed).toBe(401);
    }
    const last = (await readAuditEntries(handle.store.db, 0, 100_000)).at(-1);
    expect(last?.details).toMatchObject({ reason: 'account locked' });
  });

  it('disables a user named in another case', async () => {
    expect((await createUser('Erin')).statusCode).toBe(201);
    const res = await app.inject({ method: 'POST', url: '/api/v1/users/ERIN/disable', headers: admin });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ username: 'Erin', disabled: true });
    expect((await signIn('erin', PASSWORD)).statusCode).toBe(401);
  });

  it('issues approval links to an approver named in another case', async () => {
    expect((await createUser('Rita', ['approver'])).statusCode).toBe(201);
    const approvalId = await upsertApprovalRequest(
      handle.store.db,
      {
        id: 'approval-1',
        runId: 'run-1',
        requestedBy: 'system',
        command: {
          key: 'run-1:contain',
          stepId: 'contain',
          message: 'Contain the host?',
          approvers: ['approver'],
          quorum: 1,
          escalation: false,
        },
      },
      clock.now(),
    );
    const key = new Uint8Array(32).fill(7);
    const links = await issueApprovalLinks(ctx, key, { approvalId, username: 'RITA', ttlMs: 60_000 });
    const token = new URL(links.approve, 'http://riposte.test').searchParams.get('token') ?? '';
    expect(await previewApprovalLink(ctx, key, token)).toMatchObject({ approver: 'Rita' });
  });

  it('refuses, in the store itself, a second name differing only by case', async () => {
    const user = (id: string, username: string) => ({
      id,
      username,
      displayName: username,
      passwordHash: null,
      roles: ['viewer' as const],
    });
    await insertUser(handle.store.db, user('zoe-1', 'Zoe'), clock.now());
    await expect(insertUser(handle.store.db, user('zoe-2', 'zOE'), clock.now())).rejects.toThrow();
    expect((await findUserRowByUsername(handle.store.db, 'ZOE'))?.id).toBe('zoe-1');
  });
});
