import { z } from 'zod';
import { DEFAULT_FINGERPRINT_KEYS } from '../../domain/alerts/fingerprint.js';
import { ObservableType } from '../../domain/observables/observable.js';

const HOUR = 3_600_000;

/**
 * Items per committed step. Every step writes each B-tree page it touched once, and a step's alerts touch the
 * same per-case and per-observable index leaves: 1,000-alert steps wrote 1.86 WAL pages per alert where
 * 500-alert steps wrote 3.24 (scripts/wal-pages.ts), and took 18% less main-thread CPU per alert (paired
 * runs of scripts/ingest-warm.ts). 2,000 saved no more CPU and held the write lock twice as long.
 */
export const DEFAULT_INGEST_BATCH_SIZE = 1_000;

/**
 * How ingestion de-duplicates and groups. Every field has a default; an operator overrides what they need
 * (`IngestSettings.parse({ correlation: { windowMs: 3_600_000 } })`).
 */
export const IngestSettings = z.object({
  /** Items per transaction: a large batch commits in steps, so one bad database moment loses one step. */
  batchSize: z.number().int().min(1).max(10_000).default(DEFAULT_INGEST_BATCH_SIZE),
  /** Paths into the normalised alert that make its fingerprint (see `computeFingerprint`). */
  fingerprintKeys: z
    .array(z.string().min(1))
    .min(1)
    .default([...DEFAULT_FINGERPRINT_KEYS]),
  dedup: z
    .object({
      enabled: z.boolean().default(true),
      /** A repeat within this window raises the stored alert's count instead of storing a new alert. */
      windowMs: z
        .number()
        .int()
        .min(0)
        .default(24 * HOUR),
    })
    .default({ enabled: true, windowMs: 24 * HOUR }),
  correlation: z
    .object({
      enabled: z.boolean().default(true),
      windowMs: z
        .number()
        .int()
        .min(0)
        .default(24 * HOUR),
      /** Join an open case that holds an alert of the same rule (same product and rule id). */
      byRule: z.boolean().default(true),
      /** Join an open case that holds an alert sharing a significant observable. */
      byObservable: z.boolean().default(true),
      /** Which observable types are significant enough to group on. */
      observableTypes: z
        .array(z.enum(ObservableType))
        .default(['ipv4', 'ipv6', 'domain', 'url', 'email', 'md5', 'sha1', 'sha256', 'hostname', 'user']),
      /** Private addresses group alerts of one internal host; turn off where NAT makes them ambiguous. */
      includePrivateIps: z.boolean().default(true),
      /** Values never grouped on (a shared proxy, the scanner, `administrator`). */
      ignoreValues: z.array(z.string()).default([]),
    })
    .default({
      enabled: true,
      windowMs: 24 * HOUR,
      byRule: true,
      byObservable: true,
      observableTypes: [
        'ipv4',
        'ipv6',
        'domain',
        'url',
        'email',
        'md5',
        'sha1',
        'sha256',
        'hostname',
        'user',
      ],
      includePrivateIps: true,
      ignoreValues: [],
    }),
});
export type IngestSettings = z.infer<typeof IngestSettings>;

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
