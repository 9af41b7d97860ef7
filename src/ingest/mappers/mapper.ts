import type { NormalizedAlert } from '../../domain/alerts/alert.js';

/** What a mapper may know besides the payload: the time to use when the event carries none. */
export interface MapContext {
  now: number;
}

/**
 * Turns one tool's payload into the normalised alert. `detect` looks at the shape only (cheap, no throws);
 * `map` throws a `MappingError` naming the missing field when a detected payload lacks what it needs.
 */
export interface AlertMapper {
  readonly name: string;
  /** Who sends it, for the docs and the sources UI. */
  readonly description: string;
  detect(payload: Record<string, unknown>): boolean;
  map(payload: Record<string, unknown>, ctx: MapContext): NormalizedAlert;
}

/** A payload a mapper cannot use: `path` is the field at fault. */
export class MappingError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.name = 'MappingError';
    this.path = path;
  }
}
