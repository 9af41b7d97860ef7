/**
 * What `JsonDocumentScanner` found, in input order; `offset`: where in the input (bytes from 0).
 * - `start`: the first byte of a top-level value.
 * - `item`: an element of a top-level array, or a top-level value that is not an array: its bytes, or none
 *   when longer than the scanner's `maxItemBytes`. `index` counts items from 0; `line` is where it starts.
 * - `boundary`: a `,` between the members of a top-level array or object, or its closing bracket.
 * - `end`: a top-level value ended.
 * - `error`: the input is not JSON from here on; the scanner reads nothing after it.
 */
export type JsonScanEvent =
  | { kind: 'start'; line: number; byte: number; offset: number }
  | { kind: 'item'; index: number; line: number; endLine: number; bytes?: Buffer; offset: number }
  | { kind: 'boundary'; line: number; offset: number }
  | { kind: 'end'; line: number; offset: number }
  | { kind: 'error'; line: number; column: number; found: string; offset: number };

/** Deeper than this is an error: bounds the scanner's stack (alerts deeper than 64 are refused anyway). */
const MAX_DEPTH = 10_000;
/** Longest number or literal: bounds the text a token holds until it ends. */
const MAX_TOKEN_CHARS = 400;

const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

// What the scanner expects next.
const TOP = 0; // a top-level value, or nothing more
const VALUE = 1; // a value (after `:` or `,` in an array)
const ARRAY_FIRST = 2; // a value or `]`
const OBJECT_FIRST = 3; // a key or `}`
const KEY = 4; // a key (after `,` in an object)
const COLON = 5;
const AFTER = 6; // `,` or the container's closing bracket
const STRING = 7;
const TOKEN = 8; // a number, `true`, `false` or `null`

const ARRAY = 1;
const OBJECT = 2;

const isWhitespace = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const isTokenByte = (b: number): boolean =>
  (b >= 0x30 && b <= 0x39) ||
  (b >= 0x61 && b <= 0x7a) ||
  (b >= 0x41 && b <= 0x5a) ||
  b === 0x2e ||
  b === 0x2b ||
  b === 0x2d;
const isHex = (b: number): boolean =>
  (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46);
const ESCAPABLE = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

/**
 * Reads JSON text of any length a chunk at a time and cuts it into items (the elements of a top-level array,
 * or top-level values that are not arrays), checking the grammar as it goes: memory stays bounded by one
 * item (at most `maxItemBytes`) and a chunk. Several top-level values may follow one another (as `jq`
 * prints them). Bytes are scanned as they are: UTF-8 sequences never hold a byte below 0x80, so every
 * structural character is found as is; whether an item is valid UTF-8 is for whoever decodes it.
 */
export class JsonDocumentScanner {
  /** The line being read (from 1). */
  private line = 1;
  private column = 0;
  /** Where the last structural character was: an input cut short is reported there, not at its last line. */
  private lastLine = 1;
  private lastColumn = 0;
  /** Where the chunk being scanned starts in the input, and where in it the scanner is. */
  private chunkOffset = 0;
  private i = 0;
  /** How many bytes of a byte-order mark have been skipped; -1 once past where one may be. */
  private bom = 0;
  private state = TOP;
  private readonly stack: number[] = [];
  private failed = false;
  private inKey = false;
  /** In a string: 0, or -1 after a backslash, or how many hex digits of a `\u` escape are still to come. */
  private escape = 0;
  private token = '';
  private tokenLine = 0;
  private tokenColumn = 0;
  private topIsArray = false;
  private itemIndex = 0;
  /** The stack depth items start at (0, or 1 in a top-level array) while one is being read; else -1. */
  private itemDepth = -1;
  private itemLine = 0;
  private itemFrom = 0;
  private itemParts: Buffer[] = [];
  private itemBytes = 0;
  private events: JsonScanEvent[] = [];

  constructor(private readonly maxItemBytes: number) {}

  /** Scans the next chunk; returns what it found. */
  write(chunk: Buffer): JsonScanEvent[] {
    this.events = [];
    if (this.failed) return this.events;
    const n = chunk.length;
    for (this.i = 0; this.i < n && !this.failed; this.i += 1) {
      const b = chunk[this.i] as number;
      if ((b & 0xc0) !== 0x80) this.column += 1;
      if (this.bom >= 0 && this.skipBom(b)) continue;
      if (this.state === STRING) {
        if (this.escape === 0 && b !== 0x22 && b !== 0x5c && b >= 0x20) {
          // Most of a document is string content: skipped in one tight loop, to the next byte that matters.
          let j = this.i + 1;
          let c = 0;
          while (j < n && (c = chunk[j] as number) !== 0x22 && c !== 0x5c && c >= 0x20) {
            if ((c & 0xc0) !== 0x80) this.column += 1;
            j += 1;
          }
          this.i = j - 1;
          continue;
        }
        this.stringByte(chunk, b);
        continue;
      }
      if (this.state === TOKEN) {
        if (isTokenByte(b)) {
          this.token += String.fromCharCode(b);
          if (this.token.length > MAX_TOKEN_CHARS)
            this.fail(`a number longer than ${MAX_TOKEN_CHARS} characters`);
          continue;
        }
        if (!this.endToken(chunk)) break;
      }
      if (b === 0x0a) {
        this.line += 1;
        this.column = 0;
      } else if (!isWhitespace(b)) this.structural(chunk, b);
    }
    this.chunkOffset += n;
    if (this.itemDepth >= 0 && !this.failed) {
      this.keepItemBytes(chunk.subarray(this.itemFrom));
      this.itemFrom = 0;
    }
    return this.events;
  }

  /** Ends the input: a value left open is an error. */
  end(): JsonScanEvent[] {
    this.events = [];
    this.i = 0;
    if (this.failed) return this.events;
    if (this.state === TOKEN) this.endToken(null);
    if (!this.failed && this.state !== TOP) {
      // Strings and numbers hold no line break: cut short inside one, the input ends on its line.
      if (this.state !== STRING && this.state !== TOKEN) {
        this.line = this.lastLine;
        this.column = this.lastColumn;
      }
      this.column += 1;
      this.fail('unexpected end of input');
    }
    return this.events;
  }

  /** Whether `b` is part of a byte-order mark opening the input (skipped as whitespace is). */
  private skipBom(b: number): boolean {
    if (b === UTF8_BOM[this.bom]) {
      this.bom += 1;
      if (this.bom === UTF8_BOM.length) {
        this.bom = -1;
        this.column = 0;
      }
      return true;
    }
    if (this.bom > 0) this.fail('unexpected non-ASCII character');
    this.bom = -1;
    return this.failed;
  }

  private stringByte(chunk: Buffer, b: number): void {
    if (this.escape === 0) {
      if (b === 0x22) this.endString(chunk);
      else if (b === 0x5c) this.escape = -1;
      else if (b < 0x20) this.fail(`unexpected ${JSON.stringify(String.fromCharCode(b))} in a string`);
    } else if (this.escape === -1) {
      if (b === 0x75) this.escape = 4;
      else if (ESCAPABLE.has(b)) this.escape = 0;
      else this.fail(`unexpected escape ${JSON.stringify(`\\${String.fromCharCode(b)}`)}`);
    } else if (isHex(b)) this.escape -= 1;
    else this.fail('unexpected character in a \\u escape');
  }

  private endString(chunk: Buffer): void {
    if (this.inKey) {
      this.inKey = false;
      this.state = COLON;
    } else this.valueEnded(chunk, this.i + 1);
  }

  /** A number or literal ends before the current byte (`chunk` null: at the end). False if it is not one. */
  private endToken(chunk: Buffer | null): boolean {
    const t = this.token;
    this.token = '';
    if (t === 'true' || t === 'false' || t === 'null' || NUMBER.test(t)) {
      this.valueEnded(chunk, this.i);
      return true;
    }
    this.line = this.tokenLine;
    this.column = this.tokenColumn;
    this.fail(`unexpected ${JSON.stringify(t.length > 20 ? `${t.slice(0, 20)}…` : t)}`);
    return false;
  }

  private structural(chunk: Buffer, b: number): void {
    this.lastLine = this.line;
    this.lastColumn = this.column;
    switch (this.state) {
      case TOP:
      case VALUE:
        return this.beginValue(chunk, b);
      case ARRAY_FIRST:
        return b === 0x5d ? this.close(chunk) : this.beginValue(chunk, b);
      case OBJECT_FIRST:
        return b === 0x7d ? this.close(chunk) : this.beginKey(b);
      case KEY:
        return this.beginKey(b);
      case COLON:
        if (b === 0x3a) this.state = VALUE;
        else this.fail(`expected ":" but found ${found(b)}`);
        return;
      case AFTER: {
        const container = this.stack[this.stack.length - 1];
        if (b === 0x2c) {
          if (this.stack.length === 1) this.emitBoundary();
          this.state = container === ARRAY ? VALUE : KEY;
        } else if ((b === 0x5d && container === ARRAY) || (b === 0x7d && container === OBJECT))
          this.close(chunk);
        else this.fail(`expected "," or "${container === ARRAY ? ']' : '}'}" but found ${found(b)}`);
        return;
      }
    }
  }

  private beginKey(b: number): void {
    if (b !== 0x22) return this.fail(`expected a key in quotes but found ${found(b)}`);
    this.inKey = true;
    this.state = STRING;
  }

  private beginValue(chunk: Buffer, b: number): void {
    const depth = this.stack.length;
    if (depth === 0) {
      this.events.push({ kind: 'start', line: this.line, byte: b, offset: this.offset() });
      this.topIsArray = b === 0x5b;
    }
    if ((depth === 0 && !this.topIsArray) || (depth === 1 && this.topIsArray)) {
      this.itemDepth = depth;
      this.itemLine = this.line;
      this.itemFrom = this.i;
      this.itemParts = [];
      this.itemBytes = 0;
    }
    if (b === 0x7b || b === 0x5b) {
      if (depth >= MAX_DEPTH) return this.fail(`nested deeper than ${MAX_DEPTH} levels`);
      this.stack.push(b === 0x5b ? ARRAY : OBJECT);
      this.state = b === 0x5b ? ARRAY_FIRST : OBJECT_FIRST;
    } else if (b === 0x22) this.state = STRING;
    else if (b === 0x2d || (b >= 0x30 && b <= 0x39) || b === 0x74 || b === 0x66 || b === 0x6e) {
      this.state = TOKEN;
      this.token = String.fromCharCode(b);
      this.tokenLine = this.line;
      this.tokenColumn = this.column;
    } else this.fail(`unexpected ${found(b)}`);
  }

  private close(chunk: Buffer): void {
    if (this.stack.length === 1) this.emitBoundary();
    this.stack.pop();
    this.valueEnded(chunk, this.i + 1);
  }

  private emitBoundary(): void {
    this.events.push({ kind: 'boundary', line: this.line, offset: this.offset() });
  }

  /** A value ended before `chunk[end]` (`chunk` null: at the end of input). */
  private valueEnded(chunk: Buffer | null, end: number): void {
    const depth = this.stack.length;
    if (this.itemDepth === depth) this.endItem(chunk, end);
    this.state = depth === 0 ? TOP : AFTER;
    if (depth === 0) this.events.push({ kind: 'end', line: this.line, offset: this.offset() });
  }

  private endItem(chunk: Buffer | null, end: number): void {
    if (chunk) this.keepItemBytes(chunk.subarray(this.itemFrom, end));
    const whole = this.itemBytes <= this.maxItemBytes;
    this.events.push({
      kind: 'item',
      index: this.itemIndex,
      line: this.itemLine,
      endLine: this.line,
      // One part is a view of the chunk: the reader decodes it at once, so it holds the chunk only that long.
      ...(whole
        ? { bytes: this.itemParts.length === 1 ? this.itemParts[0] : Buffer.concat(this.itemParts) }
        : {}),
      offset: this.offset(),
    });
    this.itemIndex += 1;
    this.itemDepth = -1;
    this.itemParts = [];
  }

  private keepItemBytes(part: Buffer): void {
    this.itemBytes += part.length;
    if (this.itemBytes > this.maxItemBytes) this.itemParts = [];
    else if (part.length > 0) this.itemParts.push(part);
  }

  private offset(): number {
    return this.chunkOffset + this.i;
  }

  private fail(found: string): void {
    this.failed = true;
    this.itemDepth = -1;
    this.itemParts = [];
    this.events.push({ kind: 'error', line: this.line, column: this.column, found, offset: this.offset() });
  }
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

const found = (b: number): string =>
  b < 0x80 ? JSON.stringify(String.fromCharCode(b)) : 'a non-ASCII character';
