import type { LineRecord } from '../src/ingest/formats/ndjson-lines.js';

export interface SuricataLineOptions {
  /** Written into each rule's name, so the alerts of separate runs do not de-duplicate against each other. */
  run: string;
  /** Added to the signature ids (2,000,000 + i % 200): another family of rules, which no earlier case holds. */
  ruleOffset?: number;
  /** Line i is line i % N again (a new flow, the same alert): a stream of repeats that de-duplication counts. */
  repeatEvery?: number;
  /** The second octet of the destination addresses (10.N.x.y, default 0): another set no earlier case holds. */
  destinationNet?: number;
  /** The second octet of the source addresses (45.N.x.y, default 33): another set no earlier case holds. */
  sourceNet?: number;
}

/**
 * The benches' Suricata EVE alert: 200 rules and a pool of addresses, so de-duplication and correlation both
 * have work. One definition for the bench and the measuring scripts, so their figures compare.
 */
export function suricataAlertLine(n: number, options: SuricataLineOptions): string {
  const repeatEvery = options.repeatEvery ?? 0;
  const i = repeatEvery > 0 ? n % repeatEvery : n;
  return JSON.stringify({
    timestamp: new Date(1_760_000_000_000 + i).toISOString(),
    flow_id: n,
    event_type: 'alert',
    src_ip: `45.${options.sourceNet ?? 33}.${(i >> 8) & 255}.${i & 255}`,
    dest_ip: `10.${options.destinationNet ?? 0}.${(i >> 4) & 15}.${i & 15}`,
    alert: {
      gid: 1,
      signature_id: 2_000_000 + (options.ruleOffset ?? 0) + (i % 200),
      signature: `ET RULE ${i % 200} ${options.run}`,
      category: 'bench',
      severity: 2,
    },
  });
}

/** `count` numbered lines from alert `from` on, as an NDJSON stream hands them to ingest. */
export async function* suricataLines(
  from: number,
  count: number,
  options: SuricataLineOptions,
): AsyncIterable<LineRecord> {
  for (let i = 0; i < count; i += 1) yield { line: i + 1, text: suricataAlertLine(from + i, options) };
}
