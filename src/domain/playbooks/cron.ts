/**
 * Five-field cron (`minute hour day-of-month month day-of-week`, UTC) with `*`, lists, ranges and steps:
 * enough for playbook schedules, and pure so the next fire time is a function of the previous one.
 */

const FIELDS: Array<{ min: number; max: number }> = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12 },
  { min: 0, max: 6 },
];

export type CronSpec = Array<Set<number>>;

function parseField(text: string, min: number, max: number): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`bad cron field ${text}`);
    const from = m[1] === '*' ? min : Number(m[2]);
    const to = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] ? max : from;
    const step = m[4] ? Number(m[4]) : 1;
    if (from < min || to > max || from > to || step < 1)
      throw new Error(`cron field ${text} is out of range ${min}-${max}`);
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

export function parseCron(expression: string): CronSpec {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error('a cron expression has five fields: minute hour day month weekday');
  return parts.map((p, i) => parseField(p, FIELDS[i]?.min ?? 0, FIELDS[i]?.max ?? 59));
}

/** The first minute strictly after `after` (ms) that matches; searches at most a year ahead. */
export function nextCronTime(spec: CronSpec, after: number): number | undefined {
  const d = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  for (let i = 0; i < 366 * 24 * 60; i += 1) {
    const ok =
      spec[0]?.has(d.getUTCMinutes()) &&
      spec[1]?.has(d.getUTCHours()) &&
      spec[2]?.has(d.getUTCDate()) &&
      spec[3]?.has(d.getUTCMonth() + 1) &&
      spec[4]?.has(d.getUTCDay());
    if (ok) return d.getTime();
    d.setTime(d.getTime() + 60_000);
  }
  return undefined;
}
