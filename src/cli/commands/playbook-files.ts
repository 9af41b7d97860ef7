import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { PlaybookProblem } from '../../domain/playbooks/playbook-loader.js';

/** `file:line:column: message (hint: …)`, the shape editors and CI annotate. */
export function formatProblem(p: PlaybookProblem): string {
  const where = [p.file ?? '-', p.line ?? 0, p.column ?? 0].join(':');
  return `${where}: ${p.path ? `${p.path}: ` : ''}${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}`;
}

export const readText = (file: string): string => readFileSync(resolve(file), 'utf8');

/** JSON or YAML data from a file (alerts, fixtures). */
export const readData = (file: string): unknown => parseYaml(readText(file)) as unknown;

/** Every `*.test.yaml` under the given files or folders. */
export function findTestFiles(paths: string[]): string[] {
  const out: string[] = [];
  const visit = (p: string): void => {
    if (statSync(p).isDirectory()) {
      for (const entry of readdirSync(p).sort()) visit(join(p, entry));
    } else if (p.endsWith('.test.yaml') || p.endsWith('.test.yml')) out.push(p);
  };
  for (const p of paths) if (existsSync(p)) visit(p);
  return out;
}

/** The playbook a test file is about: its `playbook:` field, else the file name without `.test`. */
export function playbookFileFor(testFile: string, declared: string | undefined): string {
  return join(dirname(testFile), declared ?? basename(testFile).replace(/\.test\.ya?ml$/, '.yaml'));
}

/** A line diff (longest common subsequence), `-` and `+` marked; enough for playbook-sized files. */
export function diffLines(a: string, b: string): string[] {
  const x = a.split('\n');
  const y = b.split('\n');
  const lcs: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i -= 1)
    for (let j = y.length - 1; j >= 0; j -= 1)
      (lcs[i] as number[])[j] =
        x[i] === y[j] ? (lcs[i + 1]?.[j + 1] ?? 0) + 1 : Math.max(lcs[i + 1]?.[j] ?? 0, lcs[i]?.[j + 1] ?? 0);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      i += 1;
      j += 1;
    } else if (j < y.length && (i >= x.length || (lcs[i]?.[j + 1] ?? 0) >= (lcs[i + 1]?.[j] ?? 0))) {
      out.push(`+${j + 1}: ${y[j]}`);
      j += 1;
    } else {
      out.push(`-${i + 1}: ${x[i]}`);
      i += 1;
    }
  }
  return out;
}
