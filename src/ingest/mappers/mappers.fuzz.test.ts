import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NormalizedAlertSchema } from '../../domain/alerts/alert.js';
import { FormatError } from '../formats/format-error.js';
import { parseJsonText } from '../formats/ndjson-lines.js';
import { MappingError } from './mapper.js';
import { mapPayload } from './mapper-registry.js';
import { mapTextRecord } from './text.mapper.js';

const SAMPLES = '/work/shared/samples';
const BASES: unknown[] = [
  ...readFileSync(`${SAMPLES}/suricata/oisf_suricata_pr13999_logs_eve_alert_lines.ndjson`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, 2),
  readFileSync(`${SAMPLES}/wazuh/wazuh_alerts_extracted_from_wazuh-qa.ndjson`, 'utf8').split('\n')[0] ?? '{}',
  readFileSync(`${SAMPLES}/splunk/splunk_webhook_alert_payload_docs_example.json`, 'utf8'),
  readFileSync(`${SAMPLES}/cloud_edr/msgraph_security_alert_v2_docs_example_update_response.json`, 'utf8'),
  readFileSync(`${SAMPLES}/ocsf/okta_detection_finding_2004.ocsf.json`, 'utf8'),
  readFileSync(`${SAMPLES}/ocsf/falco_security_finding_2001.ocsf.json`, 'utf8'),
].map((t) => JSON.parse(t) as unknown);

const rng = (seed: number) => () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const ODD: unknown[] = [
  null,
  0,
  -1,
  1e308,
  '',
  ' ',
  'x'.repeat(3000),
  [],
  {},
  true,
  '1.2.3.4',
  '::',
  'NaN',
  [null],
  { a: [] },
];

/** Replaces random values anywhere in the document with values of other types. */
function mutate(value: unknown, r: () => number): unknown {
  if (r() < 0.08) return ODD[Math.floor(r() * ODD.length)];
  if (Array.isArray(value)) return value.map((v) => mutate(v, r));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).flatMap(([k, v]) => (r() < 0.05 ? [] : [[k, mutate(v, r)]])),
    );
  }
  return value;
}

describe.each([3, 11, 99])('mappers under random mutation (seed %i)', (seed) => {
  it('return a schema-valid alert or throw a MappingError naming the field, nothing else', () => {
    const r = rng(seed);
    for (let i = 0; i < 600; i += 1) {
      const input = mutate(BASES[i % BASES.length], r);
      try {
        const { alert } = mapPayload(input, { now: 0 });
        const parsed = NormalizedAlertSchema.safeParse(alert);
        if (!parsed.success)
          throw new Error(
            `invalid alert from ${JSON.stringify(input).slice(0, 300)}: ${JSON.stringify(parsed.error.issues.map((x) => [x.path.join('.'), x.message]))}`,
          );
      } catch (err) {
        if (!(err instanceof MappingError)) throw err;
      }
    }
  });
});

describe('parseJsonText under random truncation', () => {
  it('parses or reports a position inside the text', () => {
    const r = rng(5);
    const text = JSON.stringify(BASES[1]);
    for (let i = 0; i < 500; i += 1) {
      const cut = text.slice(0, Math.floor(r() * text.length));
      const res = parseJsonText(cut);
      if (!res.ok) expect(res.error).toMatch(/^malformed JSON at line \d+, column \d+: /);
    }
  });
});

describe.each([4, 8])('mapTextRecord under random mutation (seed %i)', (seed) => {
  it('returns a schema-valid alert or throws a FormatError', () => {
    const r = rng(seed);
    const lines = [
      '<134>1 2026-01-01T00:00:00Z fw1 asa - - - CEF:0|Cisco|ASA|9|106023|Deny tcp|7|src=45.33.32.156 rt=1714557600000 msg=a\\=b',
      'LEEF:2.0|IBM|QRadar|7|Login failed|^|src=45.33.32.156^usrName=alice^sev=3^devTime=99999999999999999',
      'Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; rhost=218.188.2.4',
    ];
    const pieces = ['|', '=', '\\', '^', ' ', 'CEF:', 'LEEF:', '<', '>', '9', 'rt=', '\u0000', 'é'];
    for (let i = 0; i < 1500; i += 1) {
      let s = lines[i % lines.length] ?? '';
      for (let k = Math.floor(r() * 5); k > 0; k -= 1) {
        const at = Math.floor(r() * (s.length + 1));
        s =
          r() < 0.5
            ? s.slice(0, at) + (pieces[Math.floor(r() * pieces.length)] ?? '') + s.slice(at)
            : s.slice(0, at) + s.slice(at + 3);
      }
      try {
        const parsed = NormalizedAlertSchema.safeParse(mapTextRecord(s, 0));
        if (!parsed.success)
          throw new Error(`invalid alert from ${JSON.stringify(s)}: ${JSON.stringify(parsed.error.issues)}`);
      } catch (err) {
        if (!(err instanceof FormatError)) throw err;
      }
    }
  });
});
