import type { Actor } from '../domain/shared/actor.js';
import type { Role } from './permissions.js';

export type { Actor } from '../domain/shared/actor.js';

/** Who is acting: a signed-in person, an API token, or the automation itself. */
export interface Principal {
  kind: 'user' | 'token' | 'system';
  id: string;
  name: string;
  roles: readonly Role[];
  /** For source-scoped ingest tokens: the sources it may send for. Absent means any. */
  sources?: readonly string[];
}

/** The automation acting on its own (playbook runs, timers): recorded as such in the audit log. */
export const SYSTEM_PRINCIPAL: Principal = {
  kind: 'system',
  id: 'system',
  name: 'riposte',
  roles: ['admin'],
};

export const actorOf = (p: Principal): Actor => ({ type: p.kind, id: p.id, name: p.name });
