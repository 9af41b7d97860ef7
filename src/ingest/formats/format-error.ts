/** An input that matches no grammar: says where (line, 1-based column) and why. Never thrown past the ingest edge. */
export class FormatError extends Error {
  readonly column: number;
  line: number | undefined;

  constructor(message: string, options: { column: number; line?: number }) {
    super(message);
    this.name = 'FormatError';
    this.column = options.column;
    this.line = options.line;
  }

  /** `line 3, column 17: …` or `column 17: …`. */
  describe(): string {
    return `${this.line !== undefined ? `line ${this.line}, ` : ''}column ${this.column}: ${this.message}`;
  }
}
