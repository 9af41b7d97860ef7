import { z } from 'zod';
import { ConnectorError } from '../action-executor.js';
import { ConnectorErrorCode } from './connector-errors.js';
import type { RegisteredAction } from './connector-registry.js';

/** What simulation needs of a registry: the real declaration (schemas, example) of a known action. */
export interface ActionContracts {
  action(name: string): RegisteredAction | undefined;
}

/** `path: message; …`, the same wording the real executor uses for a zod failure. */
const describeIssues = (issues: readonly { path: PropertyKey[]; message: string }[]): string =>
  issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Keys of `raw` that parsing dropped, at any depth: zod objects strip what they do not declare, so a key
 * present before parsing and absent after it is one the schema does not know (records keep theirs).
 */
function droppedKeys(raw: unknown, parsed: unknown, path: string[] = []): string[] {
  if (isPlainObject(raw) && isPlainObject(parsed))
    return Object.keys(raw).flatMap((k) =>
      k in parsed ? droppedKeys(raw[k], parsed[k], [...path, k]) : [[...path, k].join('.')],
    );
  if (Array.isArray(raw) && Array.isArray(parsed) && raw.length === parsed.length)
    return raw.flatMap((item, i) => droppedKeys(item, parsed[i], [...path, String(i)]));
  return [];
}

// Declared keys per schema, computed once: the executor checks every call's input against them.
const declaredKeyCache = new WeakMap<z.ZodType, string[] | undefined>();

/** The keys an object schema declares (undefined for any other schema). */
function declaredKeys(schema: z.ZodType): string[] | undefined {
  if (declaredKeyCache.has(schema)) return declaredKeyCache.get(schema);
  const keys = schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
  declaredKeyCache.set(schema, keys);
  return keys;
}

/**
 * Parses an action's input with its real input schema and refuses top-level keys the action does not declare
 * (zod would drop them silently, which hides a misspelt `note` for `notes`). One check for the real executor,
 * simulation and playbook tests, so a dry run fails exactly where the run would. The failure is
 * CONNECTOR_INVALID_INPUT naming the action and each offending key.
 */
export function parseActionInput(
  { action }: RegisteredAction,
  input: unknown,
): { ok: true; data: unknown } | { ok: false; error: ConnectorError } {
  const parsed = action.input.safeParse(input);
  const declared = declaredKeys(action.input);
  const unknown =
    declared && isPlainObject(input) ? Object.keys(input).filter((k) => !declared.includes(k)) : [];
  if (parsed.success && unknown.length === 0) return { ok: true, data: parsed.data };
  const problems: string[] = [];
  if (!parsed.success) problems.push(describeIssues(parsed.error.issues));
  if (unknown.length > 0)
    problems.push(
      `${unknown.join(', ')}: not an input of ${action.name} (it accepts ${(declared ?? []).join(', ')})`,
    );
  return {
    ok: false,
    error: new ConnectorError(
      ConnectorErrorCode.invalidInput,
      `input of ${action.name} is invalid: ${problems.join('; ')}`,
      { retryable: false },
    ),
  };
}

/** `parseActionInput` for callers that only need the failure: undefined when the input fits. */
export function checkActionInput(
  contract: RegisteredAction,
  input: Record<string, unknown>,
): ConnectorError | undefined {
  const result = parseActionInput(contract, input);
  return result.ok ? undefined : result.error;
}

/**
 * Checks a fixture's output against the action's output schema: a fixture the vendor could never return
 * (a missing field, a wrong type, a field the action does not have) is a bug in the test, not a run outcome.
 * Returns the parsed output, or the problem in the real executor's CONNECTOR_INVALID_OUTPUT wording.
 */
export function checkFixtureOutput(
  { action }: RegisteredAction,
  output: unknown,
): { ok: true; output: unknown } | { ok: false; error: ConnectorError } {
  const parsed = action.output.safeParse(output);
  const problems: string[] = [];
  // When parsing failed there is no parsed value to compare with: name the unknown top-level fields.
  const unknownFields = parsed.success
    ? droppedKeys(output, parsed.data)
    : (() => {
        const declared = declaredKeys(action.output);
        return declared && isPlainObject(output)
          ? Object.keys(output).filter((k) => !declared.includes(k))
          : [];
      })();
  for (const key of unknownFields) problems.push(`${key}: ${action.name} never returns this field`);
  if (!parsed.success) problems.push(describeIssues(parsed.error.issues));
  if (problems.length === 0 && parsed.success) return { ok: true, output: parsed.data };
  return {
    ok: false,
    error: new ConnectorError(
      ConnectorErrorCode.invalidOutput,
      `fixture for ${action.name} does not fit its output: ${problems.join('; ')}`,
      { retryable: false },
    ),
  };
}
