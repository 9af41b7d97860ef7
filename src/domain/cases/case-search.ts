/**
 * Text search over cases, the same on both stores: documents and queries are cut into lower-case words of
 * letters and digits before either store's full-text engine sees them, so SQLite's FTS5 tokenizer and
 * PostgreSQL's parser agree on every word (PostgreSQL alone would read `host-12` as `host` and `-12`).
 */
const WORD = /[\p{L}\p{N}]+/gu;

/** The words of a text, lower-cased, in order. */
export const searchWords = (text: string): string[] => text.toLowerCase().match(WORD) ?? [];

/** The searchable text of a case: its title, description and comments as words. */
export const caseSearchDocument = (parts: readonly string[]): string => parts.flatMap(searchWords).join(' ');

/**
 * A query as terms: each whitespace-separated term is a phrase of its words (`hr-laptop` → `hr laptop`), the
 * last word matching as a prefix; a case matches when it holds every term. Empty when nothing is searchable.
 */
export const searchTerms = (query: string): string[][] =>
  query
    .split(/\s+/)
    .map(searchWords)
    .filter((words) => words.length > 0)
    .slice(0, 16);
