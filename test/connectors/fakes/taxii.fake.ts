import type { FakeHandler, FakeReply } from './fake-server.js';

export const TAXII_CT = 'application/taxii+json;version=2.1';

/**
 * A TAXII 2.1 API root as specified: GET {root}/collections/ and GET {root}/collections/{id}/objects/ with
 * `Accept: application/taxii+json;version=2.1` and HTTP Basic; objects in an envelope `{ more, next,
 * objects }` with X-TAXII-Date-Added-First/Last headers; 406 for a wrong Accept, 401 without credentials.
 */
export function taxiiFake(options: {
  root: string;
  user: string;
  password: string;
  collectionId: string;
  pages: unknown[][];
}): FakeHandler {
  const basic = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
  return (req): FakeReply => {
    if (req.headers.authorization !== basic)
      return {
        status: 401,
        headers: { 'content-type': TAXII_CT },
        body: { title: 'Unauthorized', http_status: '401' },
      };
    if (req.headers.accept !== TAXII_CT)
      return {
        status: 406,
        headers: { 'content-type': TAXII_CT },
        body: { title: 'Not Acceptable', http_status: '406' },
      };
    if (req.path === `${options.root}/collections/`) {
      return {
        headers: { 'content-type': TAXII_CT },
        body: {
          collections: [
            {
              id: options.collectionId,
              title: 'Indicators',
              can_read: true,
              can_write: false,
              media_types: ['application/stix+json;version=2.1'],
            },
          ],
        },
      };
    }
    if (req.path === `${options.root}/collections/${options.collectionId}/objects/`) {
      const page = Number(req.query.get('next') ?? '0');
      const objects = options.pages[page] ?? [];
      const more = page + 1 < options.pages.length;
      return {
        headers: {
          'content-type': TAXII_CT,
          'x-taxii-date-added-first': `2026-11-2${page}T00:00:00.000Z`,
          'x-taxii-date-added-last': `2026-11-2${page}T23:59:59.000Z`,
        },
        body: { more, ...(more ? { next: String(page + 1) } : {}), objects },
      };
    }
    return {
      status: 404,
      headers: { 'content-type': TAXII_CT },
      body: { title: 'Not Found', http_status: '404' },
    };
  };
}
