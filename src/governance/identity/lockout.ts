/** Failed sign-ins in a row before the account locks. */
export const MAX_FAILED_LOGINS = 5;
/** How long a locked account stays locked. */
export const LOCKOUT_MS = 15 * 60 * 1000;

export interface LockoutState {
  failedLogins: number;
  lockedUntil: number | null;
}

export const isLocked = (state: LockoutState, now: number): boolean =>
  state.lockedUntil !== null && state.lockedUntil > now;

/** The state after one more failed attempt: the count grows, and at the limit the account locks. */
export function afterFailedLogin(state: LockoutState, now: number): LockoutState {
  // A lock that has run out starts a fresh count.
  const previous = state.lockedUntil !== null && state.lockedUntil <= now ? 0 : state.failedLogins;
  const failedLogins = previous + 1;
  return {
    failedLogins,
    lockedUntil: failedLogins >= MAX_FAILED_LOGINS ? now + LOCKOUT_MS : null,
  };
}
