import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds, mapItem, MAX_JSON_DEPTH } from '../../app/ingest/map-item.js';
import { NormalizedAlertSchema } from '../../domain/alerts/alert.js';
import { FormatError } from '../formats/format-error.js';
import { parseJsonText } from '../formats/ndjson-lines.js';
import { fallbackMapper } from './generic.mapper.js';
import { MappingError } from './mapper.js';
import { MAPPER_NAMES, mapPayload } from './mapper-registry.js';
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

// Documented shapes for the tools the samples folder lacks (see vendor-mappers.test.ts for their sources).
const GUARDDUTY = {
  id: '16afba5c5c43e07c9e3e5e2e544e95df',
  type: 'UnauthorizedAccess:EC2/SSHBruteForce',
  severity: 5,
  title: 'SSH brute force',
  resource: {
    resourceType: 'Instance',
    instanceDetails: { instanceId: 'i-9', networkInterfaces: [{ privateIpAddress: '10.0.0.1' }] },
  },
  service: {
    action: { networkConnectionAction: { remoteIpDetails: { ipAddressV4: '45.33.32.156' } } },
    eventFirstSeen: '2024-05-01T09:00:00Z',
  },
  createdAt: '2024-05-01T09:05:00.000Z',
};
BASES.push(
  GUARDDUTY,
  {
    version: '0',
    id: 'e1',
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    time: '2024-05-01T09:10:00Z',
    detail: GUARDDUTY,
  },
  {
    '@timestamp': '2024-05-01T10:00:00.000Z',
    'kibana.alert.uuid': 'f3a1',
    'kibana.alert.rule.name': 'Potential SSH Brute Force',
    'kibana.alert.severity': 'high',
    'kibana.alert.risk_score': 73,
    'kibana.alert.rule.threat': [{ technique: [{ id: 'T1110' }] }],
    source: { ip: '45.33.32.156' },
    host: { name: 'web-01', ip: ['10.0.0.5'] },
  },
  {
    _time: '1714557600',
    event_id: 'n1',
    rule_name: 'Excessive Failed Logins',
    search_name: 'Access - Rule',
    urgency: 'critical',
    src: '45.33.32.156',
    dest: 'dc01',
    user: 'alice',
  },
  {
    detection_id: 'ldt:abc:123',
    created_timestamp: '2024-05-01T10:00:00Z',
    max_severity: 70,
    device: { device_id: 'abc', hostname: 'LAPTOP-1', local_ip: '10.2.2.2' },
    behaviors: [
      {
        behavior_id: '1',
        display_name: 'CredentialDumping',
        technique_id: 'T1003',
        user_name: 'alice',
        sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      },
    ],
  },
  {
    ev: { name: 'Custom detection', lvl: 12, at: 1714557600 },
    net: { from: '45.33.32.156' },
    text: 'see evil.example.com',
  },
);

const GENERIC_CONFIG = {
  title: 'ev.name',
  severity: 'ev.lvl',
  severityScale: 'wazuh',
  time: 'ev.at',
  observables: [{ path: 'net.from', type: 'ipv4', role: 'source' }],
  extractFrom: ['text'],
};

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

// Every mapper a source can name (forced, so each one meets every tool's shape), plus detection.
const JSON_MAPPERS = MAPPER_NAMES.filter((m) => m !== 'syslog');

describe.each([3, 11, 99])('mappers under random mutation (seed %i)', (seed) => {
  it('return a schema-valid alert or throw a MappingError naming the field, nothing else', () => {
    const r = rng(seed);
    for (let i = 0; i < 400; i += 1) {
      const input = mutate(BASES[i % BASES.length], r);
      for (const mapper of JSON_MAPPERS) {
        try {
          const { alert } = mapPayload(input, {
            now: 0,
            mapper,
            mapperConfig: mapper === 'generic' ? GENERIC_CONFIG : undefined,
          });
          const parsed = NormalizedAlertSchema.safeParse(alert);
          if (!parsed.success)
            throw new Error(
              `invalid alert from ${mapper} on ${JSON.stringify(input).slice(0, 300)}: ${JSON.stringify(parsed.error.issues.map((x) => [x.path.join('.'), x.message]))}`,
            );
        } catch (err) {
          if (!(err instanceof MappingError)) throw err;
        }
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

/** Syslog headers tools put before a JSON document (RFC 5424, RFC 3164 with a TAG, a CEE cookie, a BOM). */
const JSON_HEADERS = [
  '<14>1 2024-05-01T10:00:00Z sensor-1 suricata 42 - - ',
  '<132>May  1 10:00:00 manager ossec: ',
  '<14>May  1 10:00:00 10.1.2.3 app[7]: @cee: ',
  '\ufeff<14>1 2024-05-01T10:00:00Z - - - - [a@1 b="c"] \ufeff',
];
const JSON_PIECES = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ',',
  ':',
  ' ',
  '\\',
  '\u0000',
  'é',
  '\ufeff',
  '@cee:',
  '\n',
  '1',
];

/**
 * The mapper a line's MSG should be mapped by: the detected vendor mapper when it is a JSON object one takes,
 * else text (also when only the common-field fallback would take it: an application's own JSON log).
 */
function expectedMapper(msg: string, now: number): string {
  let text = msg.trim();
  if (text.startsWith('@cee:')) text = text.slice(5).trimStart();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'syslog';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'syslog';
  if (jsonDepthExceeds(value, MAX_JSON_DEPTH)) return 'syslog';
  try {
    const { mapper } = mapPayload(value, { now });
    return mapper === fallbackMapper.name ? 'syslog' : mapper;
  } catch {
    return 'syslog';
  }
}

describe.each([2, 13, 77])('mapItem of syslog carrying random JSON (seed %i)', (seed) => {
  it('maps by the vendor mapper when the message is a JSON object one takes, else as text: never a throw or a reject', () => {
    const r = rng(seed);
    const now = Date.UTC(2024, 4, 2);
    for (let i = 0; i < 600; i += 1) {
      let msg = JSON.stringify(mutate(BASES[i % BASES.length], r));
      for (let k = Math.floor(r() * 4) - 1; k > 0; k -= 1) {
        const at = Math.floor(r() * (msg.length + 1));
        msg =
          r() < 0.6
            ? msg.slice(0, at) + (JSON_PIECES[Math.floor(r() * JSON_PIECES.length)] ?? '') + msg.slice(at)
            : msg.slice(0, at) + msg.slice(at + 1 + Math.floor(r() * 3));
      }
      if (r() < 0.1) msg = `${'{"a":'.repeat(MAX_JSON_DEPTH)}1${'}'.repeat(MAX_JSON_DEPTH)}`;
      const line = `${JSON_HEADERS[i % JSON_HEADERS.length] ?? ''}${msg}`;
      const m = mapItem({ kind: 'text', value: line }, { mapper: 'syslog', now });
      if (!m.ok) throw new Error(`rejected ${JSON.stringify(line).slice(0, 300)}: ${m.reason}`);
      expect(m.mapper, line).toBe(expectedMapper(msg, now));
      expect(m.alert.raw).toBe(line);
      const parsed = NormalizedAlertSchema.safeParse(m.alert);
      if (!parsed.success)
        throw new Error(`invalid alert from ${JSON.stringify(line).slice(0, 300)}: ${parsed.error.message}`);
    }
  });
});
