/**
 * Splits rows into slices of at most `size`: multi-row statements stay under the drivers' bound-parameter
 * limits (SQLite 32,766, PostgreSQL 65,535).
 */
export const chunks = <T>(list: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, i * size + size));
