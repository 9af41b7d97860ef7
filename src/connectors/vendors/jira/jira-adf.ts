/** Atlassian Document Format (ADF): the body Jira Cloud REST v3 takes for descriptions and comments. */
export interface AdfDocument {
  type: 'doc';
  version: 1;
  content: Array<{ type: 'paragraph'; content: Array<{ type: 'text'; text: string }> }>;
}

/**
 * Plain text as an ADF document: one paragraph per blank-line-separated block. ADF rejects empty text
 * nodes, so empty blocks are dropped and an empty text gives a document without paragraphs.
 */
export function textToAdf(text: string): AdfDocument {
  const paragraphs = text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => ({ type: 'paragraph' as const, content: [{ type: 'text' as const, text: p }] }));
  return { type: 'doc', version: 1, content: paragraphs };
}
