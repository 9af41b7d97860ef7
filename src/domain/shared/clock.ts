/** Time is an input to every rule: the domain and engine never read the system clock themselves. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/**
 * The latest instant an alert's time is believed to be (and a query may name): 9999-12-31, the last that
 * ISO 8601 writes in four digits. Past it a field is bad data, and PostgreSQL's bigint runs out not far beyond.
 */
export const LATEST_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** The one place the real clock is read; the composition root hands it in. */
// eslint-disable-next-line no-restricted-properties -- the real clock, injected from the edge
export const systemClock: Clock = { now: () => Date.now() };

/** A clock a test or a replay moves by hand. */
export class ManualClock implements Clock {
  constructor(private current = 0) {}
  now(): number {
    return this.current;
  }
  set(ms: number): void {
    this.current = ms;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
