/**
 * Where the JavaScript part of NDJSON ingest goes, stage by stage, without the store:
 * `npx tsx scripts/ingest-js-split.ts [alerts] [rounds]`. Uses ingest-warm's Suricata-like lines and prints
 * CPU µs per alert for: JSON.parse of the line, mapping (detect + map + observables), fingerprint,
 * serialising the row's JSON columns, and the structured clone a worker thread would pay to hand mapped
 * alerts back (as objects, or as JSON text).
 */
import { serialize, deserialize } from 'node:v8';
import { suricataAlertLine } from '../bench/suricata-lines.js';
import { lineToItems } from '../src/app/ingest/line-items.js';
import { mapItem, type IngestItem, type MappedItem } from '../src/app/ingest/map-item.js';
import { computeFingerprint } from '../src/domain/alerts/fingerprint.js';

const count = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);

const texts = Array.from({ length: count }, (_, i) => suricataAlertLine(i, { run: 'm' }));
const cpu = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const stage = <T>(results: Map<string, number[]>, name: string, run: () => T): T => {
  const at = cpu();
  const out = run();
  const list = results.get(name) ?? [];
  list.push((cpu() - at) / count);
  results.set(name, list);
  return out;
};

const results = new Map<string, number[]>();
for (let r = 0; r < rounds; r += 1) {
  const items = stage(results, 'parse (lineToItems)', () =>
    texts.flatMap((text, i) => lineToItems({ line: i + 1, text }, 'json')),
  );
  const mapped = stage(results, 'map (mapItem)', () =>
    items.map((item: IngestItem) => mapItem(item, { now: 1_760_000_000_000 })),
  );
  const ok = mapped.flatMap((m: MappedItem) => (m.ok ? [m] : []));
  stage(results, 'fingerprint', () => ok.map((m) => computeFingerprint('bench', m.alert)));
  const normalized = stage(results, 'serialise normalized', () =>
    ok.map((m) => {
      const { raw: _raw, ...rest } = m.alert;
      return JSON.stringify(rest);
    }),
  );
  stage(results, 'clone mapped objects (v8 ser+de)', () => ok.map((m) => deserialize(serialize(m))));
  stage(results, 'clone one array of objects', () => deserialize(serialize(ok)));
  stage(results, 'clone normalized strings', () => deserialize(serialize(normalized)));
  stage(results, 'JSON.parse normalized text', () => normalized.map((t) => JSON.parse(t) as unknown));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
for (const [name, xs] of results)
  console.log(`${median(xs.slice(1)).toFixed(1).padStart(6)} µs/alert  ${name}`);

// What the main thread pays to receive a worker's results, by shape (deserialisation only: the worker serialises).
{
  const items = texts.flatMap((text, i) => lineToItems({ line: i + 1, text }, 'json'));
  const ok = items.map((item) => mapItem(item, { now: 1_760_000_000_000 })).flatMap((m) => (m.ok ? [m] : []));
  const shapes: Record<string, unknown> = {
    'whole mapped items (raw object + rawText)': ok,
    'alert without raw + texts + fingerprint': ok.map((m) => {
      const { raw: _raw, ...alert } = m.alert;
      return {
        alert,
        mapper: m.mapper,
        rawText: m.rawText,
        fp: 'x'.repeat(64),
        normalizedText: JSON.stringify(alert),
      };
    }),
    'texts only (normalized, raw, fingerprint)': ok.map((m) => {
      const { raw: _raw, ...alert } = m.alert;
      return [m.mapper, m.rawText, 'x'.repeat(64), JSON.stringify(alert)];
    }),
  };
  for (const [name, value] of Object.entries(shapes)) {
    const bytes = serialize(value);
    const times: number[] = [];
    for (let r = 0; r < rounds; r += 1) {
      const at = cpu();
      deserialize(bytes);
      times.push((cpu() - at) / count);
    }
    console.log(
      `${median(times).toFixed(1).padStart(6)} µs/alert  deserialise: ${name} (${Math.round(bytes.length / count)} B/alert)`,
    );
  }
}
