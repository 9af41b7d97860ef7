import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../app/context.js';

/** The Fastify instance route plugins see: request and reply types follow the zod schemas. */
export type ApiInstance = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** What the HTTP edge knows beyond the app context: whether it is shutting down. */
export interface ApiContext extends AppContext {
  lifecycle: { draining: boolean };
}

/** One capability's routes, registered in its own scope: `async (app, ctx) => { app.get(…) }`. */
export type RoutePlugin = (app: ApiInstance, ctx: ApiContext) => Promise<void>;
