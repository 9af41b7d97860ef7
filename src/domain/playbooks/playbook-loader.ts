import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { invalid, type ProblemDetail } from '../shared/errors.js';
import { PlaybookSchema, STEP_KINDS, type Playbook } from './playbook.schema.js';
import { validatePlaybook, type ValidationOptions } from './playbook-validation.js';

/** A problem with a playbook file: where it is (file, line, column, path) and how to fix it. */
export interface PlaybookProblem extends ProblemDetail {
  file?: string;
}

export type PathSegment = string | number;

/** Where a path of the parsed document sits in the source text. */
export type Locator = (path: readonly PathSegment[]) => { line: number; column: number } | undefined;

export interface LoadResult {
  playbook: Playbook | undefined;
  problems: PlaybookProblem[];
}

const formatPath = (path: readonly PathSegment[]): string =>
  path.reduce<string>(
    (acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg),
    '',
  );

function locatorFor(doc: Document, counter: LineCounter): Locator {
  return (path) => {
    // The closest enclosing node that exists: a missing key is reported at its parent.
    for (let n = path.length; n >= 0; n -= 1) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) {
        const pos = counter.linePos(node.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return undefined;
  };
}

function hintForIssue(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code === 'invalid_union' && issue.path.at(-1) === 'kind')
    return `a step kind is one of: ${STEP_KINDS.join(', ')}`;
  if (issue.code === 'unrecognized_keys') return 'remove the key or check its spelling';
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'add this required field';
  return undefined;
}

/**
 * Reads a playbook from YAML or JSON text (JSON is YAML), checks it against the schema and then the
 * semantic rules, and returns every problem found, each with its line and column.
 */
export function loadPlaybook(text: string, options: ValidationOptions & { file?: string } = {}): LoadResult {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const file = options.file;
  if (doc.errors.length > 0) {
    return {
      playbook: undefined,
      problems: doc.errors.map((e) => {
        const pos = counter.linePos(e.pos[0]);
        return {
          file,
          line: pos.line,
          column: pos.col,
          message: e.message.split('\n')[0] ?? 'syntax error',
          hint: 'fix the YAML syntax',
        };
      }),
    };
  }
  const locate = locatorFor(doc, counter);
  const raw: unknown = doc.toJS();
  const parsed = PlaybookSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      playbook: undefined,
      problems: parsed.error.issues.map((issue) => {
        const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
        return {
          file,
          path: formatPath(path),
          ...locate(path),
          message: issue.message,
          hint: hintForIssue(issue),
        };
      }),
    };
  }
  const problems = validatePlaybook(parsed.data, options).map((p) => ({
    file,
    path: formatPath(p.path),
    ...locate(p.path),
    message: p.message,
    hint: p.hint,
  }));
  return { playbook: problems.length === 0 ? parsed.data : undefined, problems };
}

/** Loads or throws RIPOSTE_VALIDATION listing every problem. */
export function loadPlaybookOrThrow(
  text: string,
  options: ValidationOptions & { file?: string } = {},
): Playbook {
  const { playbook, problems } = loadPlaybook(text, options);
  if (!playbook) {
    throw invalid(
      `${options.file ?? 'the playbook'} is invalid: ${problems.length} problem(s)`,
      problems.map((p) => ({
        ...p,
        path: p.file ? `${p.file}${p.path ? `: ${p.path}` : ''}` : p.path,
      })),
    );
  }
  return playbook;
}
