import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { patchIngestSettings } from '../../src/app/ingest/configure-ingest.js';
import {
  createIngestSource,
  CreateSourceInput,
  updateIngestSourceSettings,
} from '../../src/app/ingest/ingest-sources.js';
import type { Actor } from '../../src/domain/shared/actor.js';
import { openStore } from '../../src/store/store.js';
import { createTestContext } from '../support/api.js';
import { CLI_ENTRY, ROOT, runCli, spawnCli, type ProcessOutput } from '../support/processes.js';
import { waitFor } from '../support/waiting.js';

const SAMPLES = '/work/shared/samples';

describe('riposte ingest', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'riposte-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('ingests NDJSON, a pretty-printed JSON document and a syslog file, then prints the summary with rejected lines', async () => {
    const bad = join(dir, 'mixed.ndjson');
    writeFileSync(bad, '{"title":"custom one","severity":"high","id":"m1"}\n{not json\n');
    const badBytes = join(dir, 'latin1.json');
    writeFileSync(
      badBytes,
      Buffer.concat([Buffer.from('[{"title":"caf'), Buffer.from([0xe9]), Buffer.from('"}]')]),
    );
    const { code, stdout, stderr } = await runCli([
      '--data-dir',
      dir,
      'ingest',
      '--source',
      'lab',
      `${SAMPLES}/suricata/oisf_suricata_pr13999_logs_eve_alert_lines.ndjson`,
      `${SAMPLES}/splunk/splunk_webhook_alert_payload_docs_example.json`,
      `${SAMPLES}/syslog/loghub_Linux_2k_bsd-syslog.log`,
      bad,
      badBytes,
    ]);
    expect(stderr).not.toMatch(/Error/);
    const summary =
      /(\d+) accepted, (\d+) duplicates, grouped into (\d+) cases \((\d+) new\), (\d+) rejected/.exec(stdout);
    expect(summary).not.toBeNull();
    const [, accepted, duplicates, , , rejected] = (summary ?? []).map(Number);
    // 7 EVE lines + 1 Splunk payload + 2,000 syslog lines + 1 good NDJSON line, each either stored or counted.
    expect((accepted ?? 0) + (duplicates ?? 0)).toBe(7 + 1 + 2000 + 1);
    expect(rejected).toBe(2);
    expect(stdout).toMatch(/rejected .*mixed\.ndjson line 2: malformed JSON at line 1, column 2/);
    expect(stdout).toMatch(/rejected .*latin1\.json line 1: not valid UTF-8/);
    // Some lines rejected, the rest stored: 3, not the 1 of a command that failed.
    expect(code).toBe(3);
    const store = await openStore({ sqlitePath: join(dir, 'riposte.db') });
    try {
      const row = await store.db
        .selectFrom('alerts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(row.n)).toBe(accepted);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('counts a case that alerts of two files joined once', async () => {
    const eve = (i: number): string =>
      JSON.stringify({
        timestamp: `2026-01-01T00:00:0${i}.000000+0000`,
        event_type: 'alert',
        src_ip: `45.33.0.${i}`,
        dest_ip: `198.51.100.${i}`,
        alert: {
          gid: 1,
          signature_id: 2_100_001,
          signature: 'ET TEST same rule',
          category: 'test',
          severity: 2,
        },
      });
    const first = join(dir, 'first.ndjson');
    const second = join(dir, 'second.ndjson');
    writeFileSync(first, `${eve(1)}\n${eve(2)}\n`);
    writeFileSync(second, `${eve(3)}\n`);
    const { code, stdout } = await runCli(['--data-dir', dir, 'ingest', '--source', 'lab', first, second]);
    // The second file's alert joins the case the first file opened (same rule): one case, not one per file.
    expect(stdout).toMatch(/^3 accepted, 0 duplicates, grouped into 1 cases \(1 new\), 0 rejected/);
    expect(code).toBe(0);
  }, 120_000);

  it('reads "-" from standard input', async () => {
    const child = spawnCli(['--data-dir', dir, 'ingest', '-']);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stdin.end('{"title":"from stdin","severity":"low","id":"s1"}\n<13>Jan  1 00:00:00 h su: hello\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stdout).toMatch(/^2 accepted, 0 duplicates, grouped into \d+ cases \(\d+ new\), 0 rejected/);
    expect(code).toBe(0);
  }, 120_000);
});

const alert = (i: number): string => JSON.stringify({ title: `alert ${i}`, severity: 'high', id: `a${i}` });
const ndjson = (from: number, to: number): string =>
  Array.from({ length: to - from }, (_, k) => `${alert(from + k)}\n`).join('');
const SUMMARY = /^(\d+) accepted, (\d+) duplicates, grouped into (\d+) cases \((\d+) new\), (\d+) rejected/;
const accepted = (stdout: string): number => Number(SUMMARY.exec(stdout)?.[1] ?? -1);
const admin: Actor = { type: 'system', id: 'test', name: 'test' };

/** Runs `riposte --data-dir <dir> ingest <args…>` with `stdin` as its standard input. */
function ingest(
  dir: string,
  args: string[],
  stdin: string | Buffer = '',
  env: NodeJS.ProcessEnv = {},
): Promise<ProcessOutput> {
  const child = spawnCli(['--data-dir', dir, 'ingest', ...args], { env });
  child.stdin.on('error', () => undefined);
  child.stdin.end(stdin);
  return outputOf(child);
}

function outputOf(child: ReturnType<typeof spawn>): Promise<ProcessOutput> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function alertCount(dir: string): Promise<number> {
  const store = await openStore({ sqlitePath: join(dir, 'riposte.db') });
  try {
    const row = await store.db
      .selectFrom('alerts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  } finally {
    await store.close();
  }
}

/** Changes the CLI's store before it runs, as an operator would through the API. */
async function withStore(dir: string, body: (ctx: ReturnType<typeof createTestContext>) => Promise<void>) {
  const store = await openStore({ sqlitePath: join(dir, 'riposte.db') });
  try {
    await store.migrate();
    await body(createTestContext(store));
  } finally {
    await store.close();
  }
}

describe('riposte ingest: telling lines from a JSON document', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'riposte-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads NDJSON line by line whatever its first line, from a file and from stdin alike', async () => {
    const cutShort = `{"title": "alert 0", "severity": "hi\n${ndjson(1, 6)}`;
    const cutAfterComma = `{"title": "alert 0",\n${ndjson(6, 11)}`;
    const arrayLines = `[${alert(11)}]\n[${alert(12)}, ${alert(13)}]\n`;
    const longFirst = `${JSON.stringify({ title: 'long', severity: 'low', pad: 'x'.repeat(70_000) })}\n${ndjson(14, 16)}`;
    const logLines =
      '[Sun Dec 04 04:47:44 2005] [error] mod_jk child in error state 6\n[Sun Dec 04] [notice] x\n';
    const files = { cutShort, cutAfterComma, arrayLines, longFirst, logLines };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, `${name}.ndjson`), text);
    const fromFiles = await ingest(
      dir,
      Object.keys(files).map((name) => join(dir, `${name}.ndjson`)),
    );
    expect(fromFiles.stdout).toMatch(/^16 accepted, 0 duplicates, .* 4 rejected/);
    expect(fromFiles.stdout).toMatch(
      /rejected .*cutShort\.ndjson line 1: malformed JSON at line 1, column 37/,
    );
    expect(fromFiles.stdout).toMatch(/rejected .*cutAfterComma\.ndjson line 1: malformed JSON/);
    expect(fromFiles.stdout).toMatch(/rejected .*logLines\.ndjson line 2: /);
    expect(fromFiles.code).toBe(3);
    const fromStdin = await ingest(dir, ['-', '--source', 'again'], cutShort);
    expect(fromStdin.stdout).toMatch(/^5 accepted, 0 duplicates, .* 1 rejected\n {2}rejected stdin line 1: /);
  }, 120_000);

  it('reads a pretty-printed JSON array as one document, from stdin too, each rejected element at its line', async () => {
    const elements = [JSON.parse(alert(0)), JSON.parse(alert(1)), 42, JSON.parse(alert(3))] as unknown[];
    // A 64-bit id the alert's raw event must keep whole: parsed and printed again, it would be rounded.
    const pretty = `${JSON.stringify(elements, null, 2)}\n`.replace(
      '"id": "a0"',
      '"id": "a0",\n    "flow": 1539072613142662123',
    );
    const expectedLine = pretty.split('\n').indexOf('  42,') + 1;
    writeFileSync(join(dir, 'pretty.json'), pretty);
    const fromFile = await ingest(dir, [join(dir, 'pretty.json')]);
    expect(fromFile.stdout).toMatch(/^3 accepted, 0 duplicates, .* 1 rejected/);
    expect(fromFile.stdout).toContain(
      `rejected ${join(dir, 'pretty.json')} line ${expectedLine}: item 2: an alert must be a JSON object`,
    );
    const fromStdin = await ingest(dir, ['-', '--source', 'piped'], pretty);
    expect(fromStdin.stdout).toMatch(/^3 accepted, 0 duplicates, .* 1 rejected/);
    expect(fromStdin.stdout).toContain(`rejected stdin line ${expectedLine}: item 2: an alert`);
    await withStore(dir, async (ctx) => {
      const raws = await ctx.store.db
        .selectFrom('alerts')
        .select('raw')
        .where('title', '=', 'alert 0')
        .execute();
      expect(raws.map((r) => r.raw)).toEqual([
        pretty.slice(pretty.indexOf('  {') + 2, pretty.indexOf('  },') + 3),
        pretty.slice(pretty.indexOf('  {') + 2, pretty.indexOf('  },') + 3),
      ]);
      expect(raws[0]?.raw).toContain('1539072613142662123');
    });
  }, 120_000);

  it('stores the whole elements of an array cut short, and says where it breaks', async () => {
    const pretty = JSON.stringify(
      Array.from({ length: 50 }, (_, i) => JSON.parse(alert(i)) as unknown),
      null,
      2,
    );
    const cut = pretty.slice(0, pretty.indexOf('"alert 47"'));
    writeFileSync(join(dir, 'cut.json'), cut);
    const { code, stdout } = await ingest(dir, [join(dir, 'cut.json')]);
    const lines = cut.split('\n').length;
    expect(stdout).toMatch(/^47 accepted, 0 duplicates, .* 1 rejected/);
    expect(stdout).toContain(
      `line ${lines}: malformed JSON at column 13: unexpected end of input; nothing after it was read`,
    );
    expect(code).toBe(3);
    expect(await alertCount(dir)).toBe(47);
  }, 120_000);

  it('streams a JSON array of any size in bounded memory', async () => {
    // Steps of 20 alerts of 200 KB; the whole array (100 MB, one line) would not fit in the heap allowed.
    await withStore(dir, async (ctx) => {
      await patchIngestSettings(ctx, { batchSize: 20 }, admin);
    });
    const pad = 'x'.repeat(200_000);
    const elements = Array.from({ length: 500 }, (_, i) =>
      JSON.stringify({ title: `big ${i}`, severity: 'low', id: `b${i}`, pad }),
    );
    writeFileSync(join(dir, 'big.json'), `[${elements.join(',')}]`);
    const { code, stdout, stderr } = await ingest(dir, [join(dir, 'big.json')], '', {
      NODE_OPTIONS: '--max-old-space-size=64',
    });
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^500 accepted, 0 duplicates, .* 0 rejected/);
    expect(code).toBe(0);
  }, 120_000);
});

describe('riposte ingest: inputs that cannot be read, interruptions and exits', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'riposte-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a directory, a missing file and an unreadable one in the summary and reads on, FIFOs included', async () => {
    writeFileSync(join(dir, 'first.ndjson'), ndjson(0, 2));
    mkdirSync(join(dir, 'a-directory'));
    writeFileSync(join(dir, 'unreadable.ndjson'), ndjson(2, 4));
    chmodSync(join(dir, 'unreadable.ndjson'), 0o000);
    writeFileSync(join(dir, 'empty.ndjson'), '');
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const args = [
      '--data-dir',
      dir,
      'ingest',
      join(dir, 'first.ndjson'),
      join(dir, 'a-directory'),
      join(dir, 'missing.ndjson'),
      join(dir, 'unreadable.ndjson'),
      join(dir, 'empty.ndjson'),
      fifo,
    ];
    // Root reads any file: the command runs as nobody then, as a user would meet the error.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) chmodSync(dir, 0o777);
    const child = asRoot
      ? spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', CLI_ENTRY, ...args], {
          cwd: ROOT,
          env: { ...process.env, HOME: dir },
        })
      : spawn(CLI_ENTRY, args, { cwd: ROOT });
    const output = outputOf(child);
    // A FIFO cannot seek: it is read front to back, as stdin is. Written by a process of its own, since
    // opening it blocks until the command opens it too (which a command that failed before never does).
    writeFileSync(join(dir, 'for-fifo.ndjson'), ndjson(4, 7));
    const writer = spawn('cp', [join(dir, 'for-fifo.ndjson'), fifo]);
    const { code, stdout, stderr } = await output.finally(() => writer.kill());
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^5 accepted, 0 duplicates, .* 3 rejected/);
    expect(stdout).toContain(`rejected ${join(dir, 'a-directory')}: cannot read it: EISDIR`);
    expect(stdout).toContain(`rejected ${join(dir, 'missing.ndjson')}: cannot read it: ENOENT`);
    expect(stdout).toContain(
      `rejected ${join(dir, 'unreadable.ndjson')}: cannot read it: EACCES: permission denied\n`,
    );
    expect(stdout).toContain(`empty: ${join(dir, 'empty.ndjson')} holds nothing to ingest`);
    expect(code).toBe(3);
  }, 120_000);

  it('reads gzip files and gzip on stdin (members one after another too), and says where a corrupt one breaks', async () => {
    writeFileSync(join(dir, 'alerts.ndjson.gz'), gzipSync(ndjson(0, 3)));
    // Known by its bytes, not its name; two members, as `cat a.gz b.gz` makes.
    const syslog = (n: number) => `<13>Jan  1 00:00:0${n} fw1 app: packed message ${n}\n`;
    writeFileSync(
      join(dir, 'rotated.log'),
      Buffer.concat([gzipSync(syslog(1) + syslog(2)), gzipSync(syslog(3))]),
    );
    const files = await ingest(dir, [join(dir, 'alerts.ndjson.gz'), join(dir, 'rotated.log')]);
    expect(files.stderr).toBe('');
    expect(files.stdout).toMatch(/^6 accepted, 0 duplicates, .* 0 rejected/);
    expect(files.code).toBe(0);

    const piped = await ingest(dir, ['-'], gzipSync(ndjson(10, 12)));
    expect(piped.stdout).toMatch(/^2 accepted, 0 duplicates, .* 0 rejected/);

    // The whole lines before the damage are stored (the fifth was cut); the summary says where it broke.
    const whole = gzipSync(ndjson(20, 25));
    writeFileSync(join(dir, 'cut.ndjson.gz'), whole.subarray(0, whole.length - 12));
    const cut = await ingest(dir, [join(dir, 'cut.ndjson.gz')]);
    expect(cut.stdout).toMatch(/^4 accepted, 0 duplicates, .* 1 rejected/);
    expect(cut.stdout).toContain(`rejected ${join(dir, 'cut.ndjson.gz')}: cannot read it`);
    expect(cut.stdout).toMatch(/not valid gzip: unexpected end of file/);
    expect(await alertCount(dir)).toBe(12);
  }, 120_000);

  it('on Ctrl-C stores what was read, prints how far each input got and exits 130', async () => {
    writeFileSync(join(dir, 'later.ndjson'), ndjson(5000, 5001));
    const child = spawnCli(['--data-dir', dir, 'ingest', '-', join(dir, 'later.ndjson')]);
    const output = outputOf(child);
    // More than one step (1,000 lines), and stdin left open: the command waits for more when stopped.
    child.stdin.write(ndjson(0, 1500));
    // Counted once the command has made and migrated its store (until then there is no table to count in).
    const committed = async (): Promise<number> =>
      existsSync(join(dir, 'riposte.db')) ? alertCount(dir).catch(() => 0) : 0;
    await waitFor('the first step', async () => (await committed()) >= 1000);
    child.kill('SIGINT');
    const { code, stdout, stderr } = await output;
    expect(stdout).toMatch(/^1500 accepted, 0 duplicates, .* 0 rejected\n/);
    expect(stdout).toContain(
      `  interrupted (Ctrl-C):\n    stdin: stored up to line 1500\n    ${join(dir, 'later.ndjson')}: not read\n`,
    );
    expect(stderr).toContain('Ctrl-C again to quit at once');
    expect(code).toBe(130);
    expect(await alertCount(dir)).toBe(1500);
  }, 120_000);

  it('exits quietly when the reader of its output has gone (`| head`)', async () => {
    writeFileSync(join(dir, 'some.ndjson'), ndjson(0, 3));
    const child = spawnCli(['--data-dir', dir, 'ingest', join(dir, 'some.ndjson')]);
    // The pipe's reading end closes before the summary is written: the write fails with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(await alertCount(dir)).toBe(3);
  }, 120_000);

  it("takes a source name only by the API's rule, and refuses a disabled source", async () => {
    writeFileSync(join(dir, 'some.ndjson'), ndjson(0, 3));
    for (const source of ['Bad Name/../x', '', 'a'.repeat(300)]) {
      const { code, stderr } = await ingest(dir, ['--source', source, join(dir, 'some.ndjson')]);
      expect(stderr).toContain(`riposte: invalid source name ${JSON.stringify(source)}`);
      expect(stderr).toContain('  - --source: lower-case letters');
      expect(code).toBe(1);
    }
    await withStore(dir, async (ctx) => {
      const input = CreateSourceInput.parse({ name: 'edr', enabled: false });
      await createIngestSource(ctx, input, admin, () => {
        throw new Error('no secret is sealed for a token');
      });
    });
    const disabled = await ingest(dir, ['--source', 'edr', join(dir, 'some.ndjson')]);
    expect(disabled.stderr).toBe('riposte: ingest source edr is disabled\n');
    expect(disabled.stdout).toBe('');
    expect(disabled.code).toBe(1);
    expect(await alertCount(dir)).toBe(0);
  }, 120_000);

  it('refuses the steps after its source is disabled mid-input: what was committed stays, and it exits 1', async () => {
    await withStore(dir, async (ctx) => {
      await patchIngestSettings(ctx, { batchSize: 2 }, admin);
      await createIngestSource(ctx, CreateSourceInput.parse({ name: 'edr' }), admin, () => {
        throw new Error('no secret is sealed for a token');
      });
    });
    const child = spawnCli(['--data-dir', dir, 'ingest', '--source', 'edr', '-']);
    const output = outputOf(child);
    child.stdin.write(ndjson(0, 4));
    await waitFor('the first two steps', async () => (await alertCount(dir)) >= 4);
    await withStore(dir, async (ctx) => {
      await updateIngestSourceSettings(ctx, 'edr', { enabled: false }, admin, () => {
        throw new Error('no secret is sealed');
      });
    });
    child.stdin.end(ndjson(4, 10));
    const { code, stdout, stderr } = await output;
    expect(stdout).toMatch(/^4 accepted, 0 duplicates, .* 0 rejected\n/);
    expect(stdout).toContain('  stopped by the error below:\n    stdin: stored up to line 4\n');
    expect(stderr).toBe('riposte: ingest source edr is disabled\n');
    expect(code).toBe(1);
    expect(await alertCount(dir)).toBe(4);
  }, 120_000);

  it("moves the progress bar by the bytes of files alone, not by stdin's, which are in no total", async () => {
    writeFileSync(join(dir, 'piped.ndjson'), ndjson(0, 3000));
    writeFileSync(join(dir, 'file.ndjson'), ndjson(3000, 3002));
    // `script` gives the command a terminal, where the bar is drawn; stdin is a file given as "-".
    const command = `${CLI_ENTRY} --data-dir ${dir} ingest - ${join(dir, 'file.ndjson')} < ${join(dir, 'piped.ndjson')}`;
    const { stdout } = await outputOf(spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT }));
    expect(accepted(stdout.slice(stdout.lastIndexOf('\n', stdout.search(/\d+ accepted, \d+ dup/)) + 1))).toBe(
      3002,
    );
    // Every frame at 100% comes once the file is read: none while stdin's 3,000 lines are.
    const full = [...stdout.matchAll(/100% \| (\d+) accepted/g)].map((m) => Number(m[1]));
    expect(full.length).toBeGreaterThan(0);
    expect(full.every((n) => n >= 3000)).toBe(true);
  }, 120_000);
});
