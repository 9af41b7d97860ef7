import type { NormalizedAlert } from '../../domain/alerts/alert.js';
import { computeFingerprint, type FingerprintKeys } from '../../domain/alerts/fingerprint.js';
import { readSyslogJson } from '../../ingest/formats/syslog-json.js';

const readsRaw = (keys: FingerprintKeys): boolean => keys.some((k) => k === 'raw' || k.startsWith('raw.'));

/**
 * The alert's fingerprint under `keys`. A `raw.<path>` key reads the event as its vendor wrote it: for JSON
 * carried by syslog, whose raw event is the whole message (header and all), that is the JSON inside, so the
 * same Suricata event fingerprints alike over HTTP and over syslog (with the message as a string, every
 * `raw.flow_id` read null and every event was a repeat of the first).
 */
export function fingerprintOf(source: string, alert: NormalizedAlert, keys: FingerprintKeys): string {
  if (typeof alert.raw !== 'string' || !readsRaw(keys)) return computeFingerprint(source, alert, keys);
  const carried = readSyslogJson(alert.raw, 0)?.json;
  return computeFingerprint(source, carried ? { ...alert, raw: carried } : alert, keys);
}
