// JSON read as text, never as numbers: JSON.parse rounds integers past 2^53 (a Suricata flow id) and rewrites
// numbers (1.10 as 1.1), and the raw event is the evidence of what the source sent.

const isSpace = (ch: string | undefined): boolean => ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t';

function skipSpace(text: string, i: number): number {
  while (isSpace(text[i])) i++;
  return i;
}

/** Index just past the string starting at `i` (an opening quote), or -1 when it never closes. */
function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j + 1;
  }
  return -1;
}

/** Index just past the value starting at `i`, or -1 for text that is no JSON value. */
function skipValue(text: string, i: number): number {
  const ch = text[i];
  if (ch === '"') return skipString(text, i);
  if (ch === '{' || ch === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const c = text[j];
      if (c === '"') {
        j = skipString(text, j) - 1;
        if (j < 0) return -1;
      } else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < text.length && !isSpace(text[j]) && !',}]'.includes(text[j] as string)) j++;
  return j > i ? j : -1;
}

/**
 * The text of a top-level member's value in a JSON object's text (`{"a":1,"raw":{…}}` → `{…}`), exactly as
 * written; undefined when the object has no such member. The last one wins, as with JSON.parse.
 */
export function jsonMemberText(text: string, key: string): string | undefined {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return undefined;
  i = skipSpace(text, i + 1);
  let found: string | undefined;
  while (i < text.length && text[i] !== '}') {
    const keyEnd = text[i] === '"' ? skipString(text, i) : -1;
    if (keyEnd < 0) return found;
    const name = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    if (text[i] !== ':') return found;
    const start = skipSpace(text, i + 1);
    const end = skipValue(text, start);
    if (end < 0) return found;
    if (name === key) found = text.slice(start, end);
    i = skipSpace(text, end);
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  return found;
}

/**
 * JSON text indented two spaces a level, each number, string and literal kept as written: only the white
 * space between tokens changes.
 */
export function indentJson(text: string): string {
  let out = '';
  let depth = 0;
  const newline = () => `\n${'  '.repeat(depth)}`;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (isSpace(ch)) continue;
    if (ch === '"') {
      const end = skipString(text, i);
      if (end < 0) return text;
      out += text.slice(i, end);
      i = end - 1;
    } else if (ch === '{' || ch === '[') {
      const next = text[skipSpace(text, i + 1)];
      // An empty object or array stays on one line.
      if (next === (ch === '{' ? '}' : ']')) {
        out += ch === '{' ? '{}' : '[]';
        i = skipSpace(text, i + 1);
      } else {
        depth++;
        out += ch + newline();
      }
    } else if (ch === '}' || ch === ']') {
      depth--;
      out += newline() + ch;
    } else if (ch === ',') out += ',' + newline();
    else if (ch === ':') out += ': ';
    else out += ch;
  }
  return out;
}
