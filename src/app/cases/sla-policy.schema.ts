import { z } from 'zod';
import { MAX_SLA_MS, type SlaPolicies } from '../../domain/cases/case-sla.js';
import { invalid } from '../../domain/shared/errors.js';
import { Severity } from '../../domain/shared/severity.js';

const Target = z.number().int().positive().max(MAX_SLA_MS);

/** Time allowed per clock from a case's creation, in ms. */
export const SlaPolicyBody = z
  .object({ acknowledge: Target, contain: Target, resolve: Target })
  .strict()
  .describe('ms from case creation; acknowledge ≤ contain ≤ resolve');

const severityMap = <T extends z.ZodType>(value: T) =>
  z.object(Object.fromEntries(Severity.map((s) => [s, value])) as Record<Severity, T>).strict();

/** A change of SLA policies: the severities to set; those left out keep theirs. API body and CLI file alike. */
export const SlaPoliciesUpdateBody = severityMap(SlaPolicyBody.optional()).describe(
  'Severities to set; those left out keep their policy',
);

/** The policies in force, as the API and `riposte sla-policies show --json` give them. */
export const SlaPoliciesBody = z.object({
  policies: severityMap(SlaPolicyBody),
  configured: z.array(z.object({ severity: z.enum(Severity), updatedAt: z.number(), updatedBy: z.string() })),
  rescheduled: z.number().int().optional(),
});

/**
 * A policy change read from data that did not come through the HTTP edge (a file the CLI reads): the same
 * schema as the API body, and a validation error whose details name each wrong field (`high.resolve`).
 */
export function parseSlaPoliciesUpdate(data: unknown): Partial<SlaPolicies> {
  const parsed = SlaPoliciesUpdateBody.safeParse(data);
  if (parsed.success) return parsed.data as Partial<SlaPolicies>;
  const details = parsed.error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    // An unknown key is reported on its parent; name the key itself, as the reader wrote it.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: [...at, key].join('.'),
        message:
          at.length === 0
            ? `is not a severity (${Severity.join(', ')})`
            : 'is not a clock (acknowledge, contain, resolve)',
      }));
    }
    return [{ path: at.join('.') || '(root)', message: issue.message }];
  });
  const first = details[0];
  throw invalid(`invalid SLA policy: ${first ? `${first.path} ${first.message}` : 'not an object'}`, details);
}
