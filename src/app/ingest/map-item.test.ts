import { describe, expect, it } from 'vitest';
import { mapItem, MAX_JSON_DEPTH } from './map-item.js';

const NOW = Date.UTC(2026, 0, 2);
const EVE = {
  timestamp: '2026-01-01T10:00:00.000000+0000',
  flow_id: 7,
  event_type: 'alert',
  src_ip: '45.33.32.156',
  dest_ip: '10.0.0.5',
  host: 'sensor-1',
  alert: { gid: 1, signature_id: 2_000_001, signature: 'ET TEST', severity: 2 },
};
const over = (doc: unknown, header = '<14>1 2026-01-01T10:00:01Z sensor-1 suricata - - -'): string =>
  `${header} ${JSON.stringify(doc)}`;

const mapped = (value: string, options: { mapper?: string; mapperConfig?: unknown } = {}) => {
  const m = mapItem({ kind: 'text', value }, { ...options, now: NOW });
  if (!m.ok) throw new Error(m.reason);
  return m;
};

describe('mapItem of a syslog message carrying JSON', () => {
  it('maps it by the vendor mapper whatever the source names (syslog, auto, none), or by the one it names', () => {
    for (const mapper of ['syslog', 'auto', undefined, 'suricata'])
      expect(mapped(over(EVE), { mapper }).mapper).toBe('suricata');
  });

  it('maps it as text when the JSON is nested deeper than the limit, and by its mapper within it', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < MAX_JSON_DEPTH; i += 1) deep = { d: deep };
    expect(mapped(over({ ...EVE, deep })).mapper).toBe('syslog');
    expect(mapped(over({ ...EVE, deep: (deep as { d: unknown }).d })).mapper).toBe('suricata');
  });

  it('maps it as text when the mapper the source names does not take it, rather than rejecting it', () => {
    const wazuh = { timestamp: '2026-01-01T10:00:00Z', rule: { level: 10, id: '5712', description: 'sshd' } };
    expect(mapped(over({ ...wazuh, agent: { id: '001' } }), { mapper: 'wazuh' }).mapper).toBe('wazuh');
    const line = over(EVE);
    expect(mapped(line, { mapper: 'wazuh' })).toMatchObject({ mapper: 'syslog', alert: { raw: line } });
    expect(mapped(line, { mapper: 'generic', mapperConfig: { title: 'no.such.field' } }).mapper).toBe(
      'syslog',
    );
  });

  it('maps a JSON string sent to a syslog source the same way', () => {
    const line = over(EVE);
    const m = mapItem({ kind: 'json', value: line }, { mapper: 'syslog', now: NOW });
    expect(m).toMatchObject({ ok: true, mapper: 'suricata', alert: { raw: line } });
  });

  it('takes the header’s time when the payload has none, and maps the payload as it would over HTTP', () => {
    const m = mapped(over({ ...EVE, timestamp: undefined }));
    expect(m.alert.time).toBe(Date.parse('2026-01-01T10:00:01Z'));
    // The sender's host (the sensor) is not an observable: the same payload sent over HTTP has the same ones.
    const overHttp = mapItem({ kind: 'json', value: { ...EVE, timestamp: undefined } }, { now: NOW });
    expect(overHttp.ok && m.alert.observables).toEqual(overHttp.ok && overHttp.alert.observables);
    expect(m.alert.observables.map((o) => o.value)).not.toContain('sensor-1');
  });

  it('keeps a NUL of the payload in the raw event only', () => {
    const line = over({ ...EVE, alert: { ...EVE.alert, signature: 'ET \u0000 TEST' } });
    const m = mapped(line);
    expect(m).toMatchObject({ mapper: 'suricata', alert: { title: 'ET \ufffd TEST', raw: line } });
  });
});
