import { z } from 'zod';
import { DEFAULT_FINGERPRINT_KEYS, fingerprintKeyProblem } from '../../domain/alerts/fingerprint.js';
import { ObservableType } from '../../domain/observables/observable.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Items per committed step. Every step writes each B-tree page it touched once, and a step's alerts touch the
 * same per-case and per-observable index leaves: 1,000-alert steps wrote 1.86 WAL pages per alert where
 * 500-alert steps wrote 3.24 (scripts/wal-pages.ts), and took 18% less main-thread CPU per alert (paired
 * runs of scripts/ingest-warm.ts). 2,000 saved no more CPU and held the write lock twice as long.
 */
export const DEFAULT_INGEST_BATCH_SIZE = 1_000;

/**
 * The longest de-duplication window. A repeat is counted on the latest alert of its fingerprint whatever
 * became of that alert's case, closed ones included, and every repeat moves the window on: past a month a
 * recurrence is news, which a longer window would fold into a case nobody reads any more. The window may
 * outlast the week for which a repeat's event id is remembered (`alert_event_ids`): a sender retrying a
 * repeat later than that raises the count once more, and stores nothing.
 */
export const MAX_DEDUP_WINDOW_MS = 30 * DAY;

/**
 * The longest correlation window: how recently an open case must have seen the rule or the observable for a
 * new alert to join it. A quarter holds a slow campaign; past that, sharing an address or a rule says little
 * about being one incident, and the alert would join a case its analysts have long moved on from.
 *
 * Neither bound is about cost: the lookups go by fingerprint, rule or observable on their indexes and take
 * the latest hit, the window only filtering it, so a long window reads no more rows than a short one.
 */
export const MAX_CORRELATION_WINDOW_MS = 90 * DAY;

const overDays = (maxMs: number): string => `is over ${maxMs / DAY} days (${maxMs} ms)`;

/** Keys that each name something in an alert (`fingerprintKeyProblem`), trimmed, none twice. */
const FingerprintKeysSchema = z
  .array(
    z
      .string()
      .min(1)
      .trim()
      .superRefine((key, ctx) => {
        const problem = fingerprintKeyProblem(key);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
  )
  .min(1)
  .superRefine((keys, ctx) =>
    keys.forEach((key, i) => {
      const first = keys.indexOf(key);
      if (first < i) ctx.addIssue({ code: 'custom', path: [i], message: `repeats fingerprintKeys.${first}` });
    }),
  );

/** Types whose values identify a party: all but paths and process names, which recur across unrelated hosts. */
const DEFAULT_OBSERVABLE_TYPES: readonly ObservableType[] = ObservableType.filter(
  (type) => type !== 'file_path' && type !== 'process',
);

/** Each rule without its default: the rules document gives it one, a patch leaves it as it is. */
const Rule = {
  /** Items per transaction: a large batch commits in steps, so one bad database moment loses one step. */
  batchSize: z.number().int().min(1).max(10_000),
  /** Paths into the normalised alert that make its fingerprint (see `computeFingerprint`). */
  fingerprintKeys: FingerprintKeysSchema,
  dedup: {
    enabled: z.boolean(),
    /** A repeat within this window raises the stored alert's count instead of storing a new alert. */
    windowMs: z.number().int().min(0).max(MAX_DEDUP_WINDOW_MS, overDays(MAX_DEDUP_WINDOW_MS)),
  },
  correlation: {
    enabled: z.boolean(),
    windowMs: z.number().int().min(0).max(MAX_CORRELATION_WINDOW_MS, overDays(MAX_CORRELATION_WINDOW_MS)),
    /** Join an open case that holds an alert of the same rule (same product and rule id). */
    byRule: z.boolean(),
    /** Join an open case that holds an alert sharing a significant observable. */
    byObservable: z.boolean(),
    /** Which observable types are significant enough to group on; `byObservable: false` groups on none. */
    observableTypes: z
      .array(z.enum(ObservableType))
      .min(1, 'lists no type: to group on none, set byObservable to false'),
    /** Private addresses group alerts of one internal host; turn off where NAT makes them ambiguous. */
    includePrivateIps: z.boolean(),
    /** Values never grouped on (a shared proxy, the scanner, `administrator`). */
    ignoreValues: z.array(z.string()),
  },
};

/**
 * The rules as earlier versions took them, for reading stored rules back: a window past today's bounds, a key
 * today's check refuses or an empty type list were accepted then, and refusing them now put the defaults in
 * force in place of an operator's whole rules document (correlation back on, other fingerprints) on the day of
 * an upgrade. They apply as stored; the next change through the API must mend them (its 400 names them).
 * Same schema types as `Rule`, less the checks added since.
 */
const EarlierRule: typeof Rule = {
  ...Rule,
  fingerprintKeys: z.array(z.string().min(1)).min(1),
  dedup: { ...Rule.dedup, windowMs: z.number().int().min(0) },
  correlation: {
    ...Rule.correlation,
    windowMs: z.number().int().min(0),
    observableTypes: z.array(z.enum(ObservableType)),
  },
};

/** A misspelt field is refused, naming the fields there are: left out, it would silently take its default. */
const strictRules = <S extends z.core.$ZodShape>(shape: S) =>
  z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      const unknown = issue.keys.map((k) => `"${k}"`).join(', ');
      return `unknown field ${unknown} (fields: ${Object.keys(shape).join(', ')})`;
    },
  });

/** The whole rules document, each object built by `object` from `rule`: every field has a default. */
const rulesDocument = (object: typeof strictRules, rule: typeof Rule = Rule) =>
  object({
    batchSize: rule.batchSize.default(DEFAULT_INGEST_BATCH_SIZE),
    fingerprintKeys: rule.fingerprintKeys.default(() => [...DEFAULT_FINGERPRINT_KEYS]),
    dedup: object({
      enabled: rule.dedup.enabled.default(true),
      windowMs: rule.dedup.windowMs.default(24 * HOUR),
    }).prefault({}),
    correlation: object({
      enabled: rule.correlation.enabled.default(true),
      windowMs: rule.correlation.windowMs.default(24 * HOUR),
      byRule: rule.correlation.byRule.default(true),
      byObservable: rule.correlation.byObservable.default(true),
      observableTypes: rule.correlation.observableTypes.default(() => [...DEFAULT_OBSERVABLE_TYPES]),
      includePrivateIps: rule.correlation.includePrivateIps.default(true),
      ignoreValues: rule.correlation.ignoreValues.default(() => []),
    }).prefault({}),
  });

/**
 * How ingestion de-duplicates and groups: the whole rules document, as `PUT /ingest/settings` takes it. Every
 * field has a default; an operator overrides what they need (`IngestSettings.parse({ correlation: { windowMs:
 * 3_600_000 } })`), and an unknown field is refused.
 */
export const IngestSettings = rulesDocument(strictRules);
export type IngestSettings = z.infer<typeof IngestSettings>;

/**
 * Rules as stored, read back: fields this version does not know are dropped rather than refused, so rules a
 * newer version wrote (one process upgraded before another) still apply here, less what it added.
 */
export const StoredIngestSettings = rulesDocument((shape) => z.object(shape), EarlierRule);

/**
 * A change to some rules (`PATCH /ingest/settings`): the fields given replace theirs, `dedup` and
 * `correlation` field by field, a list as a whole; the others keep the value in force.
 */
export const IngestSettingsPatch = strictRules({
  batchSize: Rule.batchSize.optional(),
  fingerprintKeys: Rule.fingerprintKeys.optional(),
  dedup: strictRules(Rule.dedup).partial().optional(),
  correlation: strictRules(Rule.correlation).partial().optional(),
});
export type IngestSettingsPatch = z.infer<typeof IngestSettingsPatch>;

export const DEFAULT_INGEST_SETTINGS: IngestSettings = IngestSettings.parse({});

/** Rules as read from the store, with the stored text they came from (null: none stored, the defaults). */
export interface RulesRead {
  storedText: string | null;
  settings: IngestSettings;
}

/** Where a process keeps the rules it last read (see `rulesInForce`): the app context holds one. */
export interface IngestRulesMemo {
  last: RulesRead | undefined;
}
