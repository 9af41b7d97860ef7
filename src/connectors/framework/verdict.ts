import { z } from 'zod';

/** One verdict vocabulary across threat-intelligence sources, so playbooks branch the same way on each. */
export const VerdictLevel = z.enum(['malicious', 'suspicious', 'clean', 'unknown']);
export type VerdictLevel = z.infer<typeof VerdictLevel>;

export const Verdict = z.object({
  indicator: z.string(),
  verdict: VerdictLevel,
  /** 0–100 where the source gives a score; null otherwise. */
  score: z.number().min(0).max(100).nullable(),
  source: z.string(),
  /** Short facts worth showing on the case (detections, categories, tags). */
  summary: z.record(z.string(), z.unknown()),
  reference: z.string().nullable(),
});
export type Verdict = z.infer<typeof Verdict>;

const HOUR = 3_600_000;

/** How long a verdict stays good: bad news lasts longer than no news, which may change soon. */
export const DEFAULT_VERDICT_TTL_MS: Record<VerdictLevel, number> = {
  malicious: 24 * HOUR,
  suspicious: 6 * HOUR,
  clean: 2 * HOUR,
  unknown: HOUR / 2,
};

export const verdictTtl = (output: Verdict): number => DEFAULT_VERDICT_TTL_MS[output.verdict];
