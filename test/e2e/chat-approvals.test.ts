/**
 * Approvals announced in chat, through a real Riposte process on each store: the approval step's `notify`
 * posts a Teams card per named approver (signed one-click links for that approval and that person) and a
 * Slack message (buttons that call back); the cards' button URLs are followed over HTTP, the links are spent
 * with the decision, quorum and separation of duties hold, and the run goes on to the vendor action.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { startRiposte, type Runtime } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { dropPostgresSchema } from '../../src/store/dialects/postgres.js';
import { blocklistFake } from '../connectors/fakes/blocklist.fake.js';
import { startFakeServer, type FakeServer } from '../connectors/fakes/fake-server.js';
import { startSlackFake, type SlackFake } from '../connectors/fakes/slack.fake.js';
import { startTeamsFake, type TeamsFake } from '../connectors/fakes/teams.fake.js';
import { DIALECTS, TEST_PG_URL, testSchemaName } from '../support/stores.js';
import { freePort, waitFor } from '../support/waiting.js';

const ADMIN_PASSWORD = 'Chat-approvals-passw0rd!';
const VENDOR_TOKEN = 'blocklist-token-5e1d77';
const BOT_TOKEN = 'xoxb-0000-1111-chatapprovals';

const PLAYBOOK = `
id: block-after-chat-approval
name: Block an address once two approvers agree in chat
inputs:
  ip: { type: string, required: true }
steps:
  - id: ask
    kind: approval
    message: "Block {{ inputs.ip }} on the edge?"
    approvers: [approver, admin]
    quorum: 2
    deadline: 1h
    notify:
      - action: teams.request_approval
        to: [ana, bob, admin]
        input: { text: "Requested by run {{ run.id }}", facts: [{ title: Address, value: "{{ inputs.ip }}" }] }
      - action: slack.request_approval
        input: { channel: "#soc" }
  - id: block
    kind: action
    action: blocklist.block_ip
    input: { entry: "{{ inputs.ip }}", comment: "approved in chat" }
`;

interface Card {
  body: Array<{ type: string; text?: string; facts?: Array<{ title: string; value: string }> }>;
  actions: Array<{ type: string; title: string; url: string }>;
}

describe.each(DIALECTS)('approvals announced in Teams and Slack on %s', (dialect) => {
  let runtime: Runtime;
  let vendor: FakeServer;
  let teams: TeamsFake;
  let slack: SlackFake;
  const blocked = new Set<string>();
  let dataDir: string;
  const schema = testSchemaName();
  let base: string;
  let cookie = '';
  let csrf = '';

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        cookie,
        'x-csrf-token': csrf,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  /** What a person's click on a card button does: the GET shows a page, its one button POSTs the form. */
  const follow = async (url: string): Promise<{ page: string; status: number; answer: string }> => {
    const shown = await fetch(url);
    const page = await shown.text();
    expect(shown.status, page).toBe(200);
    const token = new URL(url).searchParams.get('token') ?? '';
    const posted = await fetch(new URL('/api/v1/approvals/link', base), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    return { page, status: posted.status, answer: await posted.text() };
  };

  beforeAll(async () => {
    vendor = await startFakeServer(blocklistFake({ token: VENDOR_TOKEN, entries: blocked }));
    teams = await startTeamsFake();
    slack = await startSlackFake(BOT_TOKEN);
    dataDir = mkdtempSync(join(tmpdir(), 'riposte-e2e-chat-'));
    process.env.RIPOSTE_ADMIN_PASSWORD = ADMIN_PASSWORD;
    const port = await freePort();
    const config = loadConfig({
      env: {
        RIPOSTE_DATA_DIR: dataDir,
        RIPOSTE_PORT: String(port),
        RIPOSTE_PUBLIC_URL: `http://127.0.0.1:${port}`,
        RIPOSTE_QUEUE_POLL_MS: '100',
        ...(dialect === 'postgres' ? { DATABASE_URL: TEST_PG_URL, RIPOSTE_DATABASE_SCHEMA: schema } : {}),
      },
    });
    runtime = await startRiposte(config, { log: createLogger({ level: 'silent' }) });
    base = runtime.url as string;
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
  });

  afterAll(async () => {
    await runtime?.stop();
    await Promise.all([vendor?.close(), teams?.close(), slack?.close()]);
    rmSync(dataDir, { recursive: true, force: true });
    delete process.env.RIPOSTE_ADMIN_PASSWORD;
    if (dialect === 'postgres') await dropPostgresSchema(TEST_PG_URL, schema);
  });

  it('posts signed links per approver, and following two of them over HTTP lets the run go on', async () => {
    for (const [name, config] of [
      ['edge', { baseUrl: vendor.url, token: VENDOR_TOKEN }],
      ['soc-teams', { baseUrl: teams.url, webhookUrl: `${teams.url}${teams.webhookPath}` }],
      ['soc-slack', { baseUrl: slack.url, botToken: BOT_TOKEN }],
    ] as const) {
      const connector = { edge: 'blocklist', 'soc-teams': 'teams', 'soc-slack': 'slack' }[name];
      const made = await call('POST', '/api/v1/connectors', { name, connector, config, isDefault: true });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
    }
    for (const username of ['ana', 'bob']) {
      const user = await call('POST', '/api/v1/users', {
        username,
        password: 'Approver-passw0rd!',
        roles: ['approver'],
      });
      expect(user.status, JSON.stringify(user.body)).toBe(201);
    }
    const published = await call('POST', '/api/v1/playbooks', { source: PLAYBOOK, activate: true });
    expect(published.status, JSON.stringify(published.body)).toBeLessThan(300);

    // The admin starts the run: they may not approve it, so no links are signed for them.
    const started = await call('POST', '/api/v1/playbooks/block-after-chat-approval/runs', {
      inputs: { ip: '198.51.100.23' },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const runId = started.body.runId as string;

    const steps = async () =>
      (await call('GET', `/api/v1/runs/${runId}`)).body.steps as Array<{
        stepId: string;
        name: string;
        status: string;
        input: unknown;
        error: { code: string; message: string } | null;
      }>;
    const notices = await waitFor('the three Teams notices and the Slack one', async () => {
      const all = (await steps()).filter((s) => s.stepId === 'ask');
      return all.length === 4 ? all : undefined;
    });
    const cards = teams.cards as Card[];
    expect(cards).toHaveLength(2);
    expect(slack.messages).toHaveLength(1);
    expect(JSON.stringify(slack.messages[0]?.blocks)).toContain('riposte_approve');
    expect(slack.messages[0]?.text).toBe('Block 198.51.100.23 on the edge?');

    // Each card: the approval's message as title, the playbook's facts, and two links of one person.
    const cardOf = (who: string): Card => {
      const card = cards.find((c) => JSON.stringify(c.body).includes(`"value":"${who}"`));
      if (!card) throw new Error(`no card for ${who}`);
      return card;
    };
    const ana = cardOf('ana');
    expect(ana.body[0]?.text).toBe('Block 198.51.100.23 on the edge?');
    expect(JSON.stringify(ana.body)).toContain('"title":"Address","value":"198.51.100.23"');
    expect(ana.actions.map((a) => a.title)).toEqual(['Approve (ana)', 'Reject (ana)']);
    for (const a of ana.actions) {
      expect(a.type).toBe('Action.OpenUrl');
      expect(a.url.startsWith(`${base}/api/v1/approvals/link?token=`)).toBe(true);
    }

    // The admin's notice is recorded as refused; no recorded input holds a signed token.
    const refused = notices.find((n) => n.status === 'failed');
    expect(refused?.name).toBe('teams.request_approval');
    expect(refused?.error?.message).toContain('started this run');
    const tokens = cards.flatMap((c) => c.actions.map((a) => new URL(a.url).searchParams.get('token')));
    const recorded = JSON.stringify(await steps());
    for (const token of tokens) expect(recorded).not.toContain(token);
    expect(recorded).toContain('[signed link]');

    // ana approves through her link: one of two; her link is spent, and she cannot vote again.
    const anaApproves = await follow(ana.actions[0]?.url as string);
    expect(anaApproves.page).toContain('Signed in as ana');
    expect(anaApproves.status, anaApproves.answer).toBe(200);
    expect(anaApproves.answer).toContain('1 of 2 approvals');
    expect((await follow(ana.actions[0]?.url as string)).status).toBe(409);
    const anaRejects = await follow(ana.actions[1]?.url as string);
    expect(anaRejects.status).toBe(409);
    expect(anaRejects.answer).toContain('already approved');
    expect(blocked.size).toBe(0);

    // bob's approval makes the quorum; the run goes on and blocks the address.
    const bobApproves = await follow(cardOf('bob').actions[0]?.url as string);
    expect(bobApproves.status, bobApproves.answer).toBe(200);
    expect(bobApproves.answer).toContain('approved');
    const run = await waitFor('the run to finish', async () => {
      const r = await call('GET', `/api/v1/runs/${runId}`);
      return ['succeeded', 'failed'].includes(r.body.status as string) ? r.body : undefined;
    });
    expect(run.status, JSON.stringify(run)).toBe('succeeded');
    expect(blocked.has('198.51.100.23')).toBe(true);
  });
});
