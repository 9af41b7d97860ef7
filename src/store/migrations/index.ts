import * as queue from './0001_queue.js';
import * as audit from './0002_audit.js';
import * as cases from './0003_cases.js';
import type { RiposteMigration } from './migration.js';

/**
 * Every migration in order. Names sort in the order they run; a released migration is never edited,
 * only followed by a new one.
 */
export const MIGRATIONS: Record<string, RiposteMigration> = {
  '0001_queue': queue,
  '0002_audit': audit,
  '0003_cases': cases,
};
