import { useEffect, useState } from 'react';

/**
 * Which API paths this server offers, read from its OpenAPI document: pages for capabilities the server does
 * not have are left out instead of showing empty or made-up data.
 */
let cached: Promise<Set<string>> | undefined;

function loadPaths(): Promise<Set<string>> {
  cached ??= fetch('/openapi.json', { credentials: 'same-origin' })
    .then((r) => (r.ok ? (r.json() as Promise<{ paths?: Record<string, unknown> }>) : { paths: {} }))
    .then((doc) => new Set(Object.keys(doc.paths ?? {})))
    .catch(() => {
      cached = undefined;
      return new Set<string>();
    });
  return cached;
}

/** True when the server has `GET /api/v1<path>` (in OpenAPI form, e.g. `/cases/{id}`); undefined while loading. */
export function useHasApi(): ((path: string) => boolean) | undefined {
  const [paths, setPaths] = useState<Set<string>>();
  useEffect(() => {
    let live = true;
    void loadPaths().then((p) => live && setPaths(p));
    return () => {
      live = false;
    };
  }, []);
  return paths ? (path: string) => paths.has(`/api/v1${path}`) : undefined;
}
