import { readFile } from 'node:fs/promises';
import type { Indicator, IndicatorType } from '../../framework/indicator-port.js';
import { stixObjectsToIndicators } from '../taxii/stix-indicators.js';

/** Guesses what a bare value is, for CSV lists without a type column. */
export function inferIndicatorType(value: string): IndicatorType | undefined {
  const v = value.trim();
  if (/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(v)) return 'ipv4';
  if (/^[0-9a-f:]+:[0-9a-f:]*(\/\d{1,3})?$/i.test(v) && v.includes(':')) return 'ipv6';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return 'url';
  if (/^[^@\s]+@[^@\s]+$/.test(v)) return 'email';
  if (/^[a-f0-9]{64}$/i.test(v)) return 'sha256';
  if (/^[a-f0-9]{40}$/i.test(v)) return 'sha1';
  if (/^[a-f0-9]{32}$/i.test(v)) return 'md5';
  if (/^(?=.{1,253}$)([a-z0-9_-]{1,63}\.)+[a-z]{2,63}$/i.test(v)) return 'domain';
  return undefined;
}

const KNOWN_TYPES = new Set<string>(['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'email']);

function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell.trim());
      cell = '';
    } else cell += c;
  }
  cells.push(cell.trim());
  return cells;
}

/**
 * Parses a CSV list: one value per line, or columns with a header naming `value` and optionally `type`,
 * `label`, `expires` (ISO date). Lines starting with `#` are comments. Unrecognisable values are reported.
 */
export function parseCsvList(text: string, source: string): { indicators: Indicator[]; problems: string[] } {
  const lines = text.split(/\r?\n/);
  const indicators: Indicator[] = [];
  const problems: string[] = [];
  let columns: string[] | undefined;
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const cells = splitCsvLine(line);
    if (!columns && cells.some((c) => c.toLowerCase() === 'value')) {
      columns = cells.map((c) => c.toLowerCase());
      return;
    }
    const get = (name: string) => (columns ? cells[columns.indexOf(name)] : undefined);
    const value = (columns ? get('value') : cells[0]) ?? '';
    const declared = get('type')?.toLowerCase();
    const type =
      declared && KNOWN_TYPES.has(declared) ? (declared as IndicatorType) : inferIndicatorType(value);
    if (!type) {
      problems.push(`line ${index + 1}: cannot tell what "${value.slice(0, 80)}" is`);
      return;
    }
    const expires = get('expires');
    const normalised = type === 'url' ? value : value.toLowerCase();
    indicators.push({
      id: `${source}:${type}:${normalised}`,
      source,
      type,
      value: normalised,
      name: get('label') ?? null,
      labels: get('label') ? [get('label') ?? ''] : [],
      confidence: null,
      validFrom: null,
      validUntil: expires ? Date.parse(expires) || null : null,
      modified: 0,
      raw: { line: index + 1, text: line },
    });
  });
  return { indicators, problems };
}

/** Reads a list file: `.json` as a STIX 2.1 bundle (or an array of objects), anything else as CSV. */
export async function readListFile(
  path: string,
  source: string,
): Promise<{ indicators: Indicator[]; problems: string[] }> {
  const text = await readFile(path, 'utf8');
  if (path.toLowerCase().endsWith('.json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
    }
    const objects = Array.isArray(parsed) ? parsed : ((parsed as { objects?: unknown[] })?.objects ?? []);
    return { indicators: stixObjectsToIndicators(objects, source), problems: [] };
  }
  return parseCsvList(text, source);
}
