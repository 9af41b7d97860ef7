import type { Severity } from '../shared/severity.js';
import { lookupTable } from '../shared/lookup-table.js';

const WORDS = lookupTable<Severity>({
  informational: 'info',
  information: 'info',
  info: 'info',
  notice: 'info',
  debug: 'info',
  low: 'low',
  minor: 'low',
  warning: 'low',
  warn: 'low',
  medium: 'medium',
  moderate: 'medium',
  major: 'high',
  high: 'high',
  error: 'medium',
  important: 'high',
  severe: 'high',
  critical: 'critical',
  fatal: 'critical',
  emergency: 'critical',
  alert: 'high',
  crit: 'critical',
  'very-high': 'critical',
  'very high': 'critical',
  urgent: 'critical',
});

/** Thresholds over a numeric scale, lowest first: a score at or above `min` is that severity. */
export type NumericScale = ReadonlyArray<{ min: number; severity: Severity }>;

/** Scales of the common tools, so `3` means what the tool meant. */
export const SeverityScales = {
  /** OCSF severity_id: 0 unknown, 1 info, 2 low, 3 medium, 4 high, 5 critical, 6 fatal. */
  ocsf: [
    { min: 0, severity: 'info' },
    { min: 2, severity: 'low' },
    { min: 3, severity: 'medium' },
    { min: 4, severity: 'high' },
    { min: 5, severity: 'critical' },
  ],
  /** CEF and ArcSight 0–10. */
  cef: [
    { min: 0, severity: 'low' },
    { min: 4, severity: 'medium' },
    { min: 7, severity: 'high' },
    { min: 9, severity: 'critical' },
  ],
  /** Wazuh rule level 0–15. */
  wazuh: [
    { min: 0, severity: 'info' },
    { min: 4, severity: 'low' },
    { min: 7, severity: 'medium' },
    { min: 10, severity: 'high' },
    { min: 13, severity: 'critical' },
  ],
  /** ECS / Elastic risk score and CrowdStrike severity 0–100. */
  score100: [
    { min: 0, severity: 'info' },
    { min: 20, severity: 'low' },
    { min: 40, severity: 'medium' },
    { min: 70, severity: 'high' },
    { min: 90, severity: 'critical' },
  ],
  /** AWS GuardDuty 1.0–8.9 (low < 4, medium < 7, high < 9) and 9.0–10.0 critical. */
  guardduty: [
    { min: 0, severity: 'low' },
    { min: 4, severity: 'medium' },
    { min: 7, severity: 'high' },
    { min: 9, severity: 'critical' },
  ],
  /** Suricata priority: 1 is the most severe. Given as the negated priority. */
  suricata: [
    { min: -Infinity, severity: 'low' },
    { min: -3, severity: 'medium' },
    { min: -2, severity: 'high' },
    { min: -1, severity: 'critical' },
  ],
  /** Syslog severities 0 (emergency) to 7 (debug), negated. */
  syslog: [
    { min: -Infinity, severity: 'info' },
    { min: -5, severity: 'low' },
    { min: -4, severity: 'medium' },
    { min: -3, severity: 'high' },
    { min: -1, severity: 'critical' },
  ],
} satisfies Record<string, NumericScale>;

const onScale = (n: number, scale: NumericScale): Severity => {
  let out: Severity = scale[0]?.severity ?? 'info';
  for (const step of scale) if (n >= step.min) out = step.severity;
  return out;
};

/**
 * Maps a source's severity (a word, or a number on the given scale) onto the five levels. Unknown values
 * map to `fallback` rather than failing: the original is kept beside it on the alert.
 */
export function mapSeverity(
  value: unknown,
  scale: NumericScale = SeverityScales.score100,
  fallback: Severity = 'medium',
): Severity {
  if (typeof value === 'number' && Number.isFinite(value)) return onScale(value, scale);
  if (typeof value !== 'string') return fallback;
  const text = value.trim().toLowerCase();
  if (text !== '' && Number.isFinite(Number(text))) return onScale(Number(text), scale);
  return WORDS(text) ?? fallback;
}

/** The original value as text (null when absent), for `severityOriginal`. */
export const severityText = (value: unknown): string | null =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
