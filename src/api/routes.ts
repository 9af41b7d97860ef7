import type { RoutePlugin } from './route-plugin.js';

/**
 * The capabilities served under /api/v1, one plugin each. Adding a capability's HTTP API is one line here.
 */
export const API_ROUTES: ReadonlyArray<{ name: string; plugin: RoutePlugin }> = [];
