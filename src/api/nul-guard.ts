import type { FastifyInstance, preValidationHookHandler } from 'fastify';
import { RiposteError } from '../domain/shared/errors.js';
import { NUL, nulPath } from '../domain/shared/nul.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route takes strings holding U+0000 in its JSON body and deals with them itself (alert ingest keeps
     * such alerts, with U+FFFD in their normalised fields): the NUL guard lets its body through.
     */
    takesNul?: boolean;
  }
}

/** Where in a parsed JSON body the first string (or key) holding U+0000 is (`body.items.3.title`), if any. */
export function firstNulPath(value: unknown): string | undefined {
  const path = nulPath(value);
  return path && ['body', ...path.map((part) => part.replaceAll(NUL, '\\u0000'))].join('.');
}

const refuseNul = (path: string, message: string): RiposteError =>
  new RiposteError('RIPOSTE_VALIDATION', message, { details: [{ path, message: 'no field takes U+0000' }] });

/** The body check: a JSON body with a NUL in a string (or a key) is refused. */
const refuseNulInBody: preValidationHookHandler = (request, _reply, done) => {
  const path = firstNulPath(request.body);
  done(path ? refuseNul(path, `${path}: holds a NUL character (U+0000)`) : undefined);
};

/**
 * Refuses U+0000 in the URL (`%00`, in a path parameter or the query) and in JSON bodies, with a 400 that
 * says where. PostgreSQL's text columns cannot hold the character: a NUL in a case title or a lookup by id
 * failed inside the store and answered 500, where SQLite took it. Both stores now answer the same.
 *
 * Callback hooks, and the body check only on routes that take a body and do not say `takesNul`: every
 * request pays for them, and the single-alert route is measured per microsecond.
 */
export function registerNulGuard(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    done(/%00/i.test(request.url) ? refuseNul('url', 'the URL holds a NUL character (%00)') : undefined);
  });
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (route.config?.takesNul === true || !methods.some((m) => BODY_METHODS.has(m))) return;
    const existing = route.preValidation;
    route.preValidation = existing
      ? [...(Array.isArray(existing) ? existing : [existing]), refuseNulInBody]
      : refuseNulInBody;
  });
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
