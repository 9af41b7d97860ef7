/** Who did something, as written into audit entries and case timelines. */
export interface Actor {
  type: 'user' | 'token' | 'system';
  id: string;
  name: string;
}

/** The automation acting on its own (playbook runs, timers, correlation). */
export const SYSTEM_ACTOR: Actor = { type: 'system', id: 'system', name: 'riposte' };
