/** An indicator of compromise as kept in the local store (from STIX/TAXII feeds or local lists). */
export interface Indicator {
  /** STIX id, or `<source>:<type>:<value>` for list entries. */
  id: string;
  source: string;
  type: IndicatorType;
  value: string;
  name: string | null;
  labels: string[];
  confidence: number | null;
  validFrom: number | null;
  validUntil: number | null;
  modified: number;
  /** The original STIX object or list row. */
  raw: unknown;
}

export const IndicatorTypes = ['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'email'] as const;
export type IndicatorType = (typeof IndicatorTypes)[number];

/** What connectors may do with the local indicator store; the store module implements it. */
export interface IndicatorPort {
  upsert(indicators: readonly Indicator[]): Promise<number>;
  /** Indicators matching the value that are valid at `now`. */
  find(type: IndicatorType, value: string, now: number): Promise<Indicator[]>;
  getCursor(source: string): Promise<string | undefined>;
  setCursor(source: string, cursor: string): Promise<void>;
}
