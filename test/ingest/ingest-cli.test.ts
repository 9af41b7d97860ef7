import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { runCli, spawnCli } from '../support/processes.js';

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
    expect(code).toBe(1);
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
