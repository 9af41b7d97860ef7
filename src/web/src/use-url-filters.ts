import { useEffect, useState, type FormEvent } from 'react';
import { navigate, queryOf } from './router.js';

/** How a filter's URL value and its field's value differ (a time: an instant with a zone, local time). */
export interface FilterCodec {
  toField(url: string): string;
  toUrl(field: string): string | undefined;
}

/**
 * A list page's filters, kept in the URL so a filtered view can be shared and survives reload.
 * The form edits a draft; submitting (or paging) navigates, and the page re-reads the URL.
 */
export function useUrlFilters<Name extends string>(
  location: string,
  path: string,
  names: readonly Name[],
  codecs: Partial<Record<Name, FilterCodec>> = {},
) {
  const query = queryOf(location);
  const current = Object.fromEntries(names.map((n) => [n, query.get(n) ?? ''])) as Record<Name, string>;
  const fields = () =>
    Object.fromEntries(names.map((n) => [n, codecs[n]?.toField(current[n]) ?? current[n]])) as Record<
      Name,
      string
    >;
  const cursor = query.get('cursor') ?? undefined;
  const [draft, setDraft] = useState(fields);
  // Following a link (or Back) to another filtered view shows that view's filters in the form.
  useEffect(() => setDraft(fields()), [location]);

  const go = (values: Record<string, string | undefined>, nextCursor?: string) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(values)) if (v) params.set(k, v);
    if (nextCursor) params.set('cursor', nextCursor);
    const text = params.toString();
    navigate(text ? `${path}?${text}` : path);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    go(Object.fromEntries(names.map((n) => [n, codecs[n] ? codecs[n].toUrl(draft[n]) : draft[n]])));
  };
  const field = (name: Name) => ({
    name,
    value: draft[name],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value }),
  });
  /** Goes to another page of the same filtered view. */
  const page = (nextCursor: string | undefined) => go(current, nextCursor);
  return { current, cursor, field, submit, page };
}
