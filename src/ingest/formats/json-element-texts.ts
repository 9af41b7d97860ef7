/**
 * The text of each element of a JSON array, exactly as written: a raw event keeps every digit of a 64-bit
 * id (`JSON.stringify(JSON.parse(text))` rounds it) and its strings' escapes. `text` must be JSON that
 * `JSON.parse` accepted and whose value is an array: it is not checked again, only cut at the commas
 * between the array's elements.
 */
export function arrayElementTexts(text: string): string[] {
  const elements: string[] = [];
  let depth = 0;
  let inString = false;
  /** Where the element being read starts; -1 between elements. */
  let start = -1;
  const end = (at: number): void => {
    if (start >= 0) elements.push(text.slice(start, at).trimEnd());
    start = -1;
  };
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === COMMA && depth === 1) end(i);
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth += 1;
      if (depth === 2 && start < 0) start = i;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth -= 1;
      if (depth === 0) end(i);
    } else {
      if (c === QUOTE) inString = true;
      if (depth === 1 && start < 0 && !isJsonSpace(c)) start = i;
    }
  }
  return elements;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** JSON's whitespace (RFC 8259): space, tab, line feed, carriage return. */
const isJsonSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
