/** Display helpers: times in the analyst's locale, durations in the largest sensible unit. */

export const formatTime = (ms: number | null | undefined): string =>
  ms === null || ms === undefined
    ? '—'
    : new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const sign = ms < 0 ? '-' : '';
  let s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${sign}${s}s`;
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3_600);
  s -= h * 3_600;
  const m = Math.floor(s / 60);
  if (d > 0) return `${sign}${d}d ${h}h`;
  if (h > 0) return `${sign}${h}h ${m}m`;
  return `${sign}${m}m`;
}

export const humanize = (value: string): string => value.replace(/_/g, ' ');

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A correlation window as analysts set it: `24 h`, `7 d`, `1 d 12 h`, `30 min`. */
export function formatWindow(ms: number): string {
  const d = Math.floor(ms / 86_400_000);
  const h = Math.floor((ms % 86_400_000) / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  // A whole day or two reads better in hours ("24 h", as the setting is usually thought of).
  if (d > 0 && d <= 2 && m === 0) return `${d * 24 + h} h`;
  const parts = [d && `${d} d`, h && `${h} h`, m && `${m} min`, !d && !h && s && `${s} s`].filter(Boolean);
  return parts.length ? parts.join(' ') : `${ms} ms`;
}

const OBSERVABLE_TYPES: Record<string, string> = {
  ipv4: 'IPv4',
  ipv6: 'IPv6',
  url: 'URL',
  md5: 'MD5',
  sha1: 'SHA-1',
  sha256: 'SHA-256',
  file_path: 'file path',
};

/** An observable type as analysts write it: `IPv4`, `SHA-256`, `domain`. */
export const observableType = (type: string): string => OBSERVABLE_TYPES[type] ?? humanize(type);

/**
 * A `datetime-local` value (local wall time, no zone) as the ISO instant it means here; anything else is
 * returned as it is, for the API to accept (an instant with a zone) or refuse by name. Never throws: a bad
 * link used to blank the page.
 */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(value)) return value;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** An instant (ISO 8601 with a zone, or epoch ms) as a `datetime-local` value here; '' for anything else. */
export function isoToLocal(value: string): string {
  if (!value) return '';
  const date = new Date(/^\d+$/.test(value) ? Number(value) : value);
  if (Number.isNaN(date.getTime())) return '';
  const seconds = date.getSeconds() || date.getMilliseconds() ? `:${pad(date.getSeconds())}` : '';
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}${seconds}`
  );
}
