import type { Command } from 'commander';
import {
  builtinRegistry,
  connectorValidation,
  deploymentValidation,
} from '../../app/playbooks/connector-validation.js';
import { publishPlaybook } from '../../app/playbooks/playbook-catalog.js';
import {
  dryRunPlaybook,
  FixtureMap,
  parsePlaybookTests,
  runPlaybookTests,
} from '../../app/playbooks/playbook-testing.js';
import { redactSecrets } from '../../domain/expressions/secrets.js';
import { loadPlaybook, loadPlaybookOrThrow } from '../../domain/playbooks/playbook-loader.js';
import { playbookJsonSchema } from '../../domain/playbooks/playbook.schema.js';
import { SYSTEM_ACTOR } from '../../domain/shared/actor.js';
import { invalid } from '../../domain/shared/errors.js';
import { findActivePlaybookVersion, listPlaybooks } from '../../store/playbooks/playbook.repository.js';
import { configFromCommand, withAppContext } from '../cli-context.js';
import {
  diffLines,
  findTestFiles,
  formatProblem,
  playbookFileFor,
  readData,
  readText,
} from './playbook-files.js';

const out = (text: string): void => {
  process.stdout.write(`${text}\n`);
};
const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * The built-in connectors, so files are checked against the actions' real inputs and outputs: validation
 * reports input keys an action does not declare, dry runs and tests fail a step whose input would not fit.
 * Validation and publishing also check the declared secrets against this environment.
 */
const connectorActions = builtinRegistry;

/** `riposte playbook schema|validate|diff|publish|list|run --dry-run|test`. */
export function configurePlaybookCommand(pb: Command): void {
  pb.command('schema')
    .description('print the JSON Schema of the playbook format (for editors and CI)')
    .action(() => out(JSON.stringify(playbookJsonSchema(), null, 2)));

  pb.command('validate')
    .description('check playbook files; every problem is listed with file, line, column and a hint')
    .argument('<files...>')
    .addHelpText(
      'after',
      '\nEvery secret a playbook declares must be set here as RIPOSTE_SECRET_<NAME>, as on the workers.' +
        '\n\nExamples:\n  $ riposte playbook validate playbooks/*.yaml',
    )
    .action((files: string[], _o: unknown, command: Command) => {
      const validation = deploymentValidation(configFromCommand(command));
      let bad = 0;
      for (const file of files) {
        const { problems } = loadPlaybook(readText(file), { file, ...validation });
        for (const p of problems) out(formatProblem(p));
        if (problems.length) bad += 1;
        else out(`${file}: ok`);
      }
      if (bad) process.exitCode = 1;
    });

  pb.command('diff')
    .description('compare a playbook file with the active stored version (or with a second file)')
    .argument('<file>')
    .argument('[other]')
    .action(async (file: string, other: string | undefined, _o: unknown, command: Command) => {
      const next = readText(file);
      let before: string;
      if (other) before = readText(other);
      else {
        const id = loadPlaybookOrThrow(next, { file }).id;
        before = await withAppContext(
          command,
          async (ctx) => (await findActivePlaybookVersion(ctx.store.db, id))?.source ?? '',
        );
      }
      const lines = other ? diffLines(next, before) : diffLines(before, next);
      out(lines.length ? lines.join('\n') : 'no differences');
    });

  pb.command('publish')
    .description('validate and save a new immutable version, and make it active')
    .argument('<file>')
    .option('--no-activate', 'save the version without making it the one that runs')
    .action(async (file: string, opts: { activate: boolean }, command: Command) => {
      await withAppContext(
        command,
        async (ctx) => {
          const r = await publishPlaybook(ctx, {
            source: readText(file),
            file,
            actor: { ...SYSTEM_ACTOR, name: 'cli' },
            activate: opts.activate,
            validation: deploymentValidation(ctx.config),
          });
          out(
            `${r.id} version ${r.version}${r.created ? ' saved' : ' unchanged'}${r.active ? ', active' : ''}`,
          );
        },
        { permission: 'playbooks:publish' },
      );
    });

  pb.command('list')
    .description('list stored playbooks with their active and latest versions')
    .action(async (_o: unknown, command: Command) => {
      await withAppContext(command, async (ctx) => {
        for (const p of await listPlaybooks(ctx.store.db))
          out(`${p.id}\tactive ${p.active_version ?? '-'}\tlatest ${p.latest_version}\t${p.name}`);
      });
    });

  pb.command('run')
    .description('run a playbook file in simulation and print every step and action it would take')
    .argument('<file>')
    .requiredOption('--dry-run', 'simulate connectors (the only mode from a file; publish to run for real)')
    .option('--alert <file>', 'the alert (JSON or YAML) the run is triggered by')
    .option('--fixtures <file>', 'action outputs by action name (JSON or YAML)')
    .option('--input <name=value>', 'a manual input (repeatable)', collect, [])
    .option('--reject-approvals', 'decide approval steps as rejected')
    .addHelpText(
      'after',
      '\nExamples:\n  $ riposte playbook run --dry-run playbooks/phishing-triage.yaml --alert alert.json',
    )
    .action(
      (
        file: string,
        opts: { alert?: string; fixtures?: string; input: string[]; rejectApprovals?: boolean },
      ) => {
        const playbook = loadPlaybookOrThrow(readText(file), { file, ...connectorValidation() });
        const inputs = Object.fromEntries(
          opts.input.map((kv) => {
            const i = kv.indexOf('=');
            if (i < 1) throw invalid(`--input ${kv} is not name=value`);
            const raw = kv.slice(i + 1);
            let value: unknown = raw;
            try {
              value = JSON.parse(raw);
            } catch {
              // Not JSON: the text itself.
            }
            return [kv.slice(0, i), value];
          }),
        );
        const fixtures = opts.fixtures ? FixtureMap.parse(readData(opts.fixtures)) : {};
        const r = dryRunPlaybook(playbook, {
          alert: opts.alert ? readData(opts.alert) : undefined,
          inputs,
          fixtures,
          approvals: opts.rejectApprovals ? 'reject' : 'approve',
          actions: connectorActions(),
        });
        for (const e of r.steps) {
          if (e.type === 'step.started') continue;
          out(
            `${e.type.padEnd(15)} ${e.stepPath}${e.branch ? ` → ${e.branch}` : ''}${e.error ? ` (${e.error.code}: ${e.error.message})` : ''}`,
          );
        }
        out('\nactions it would take:');
        for (const a of r.effects)
          out(
            `  ${a.kind === 'action' ? a.name : `case.${a.name}`} ${JSON.stringify(redactSecrets(a.input))}`,
          );
        out(
          `\nrun ${r.state.status}${r.state.error ? `: ${r.state.error.code} ${r.state.error.message}` : ''}; case status ${r.case.status}`,
        );
        for (const problem of new Set(r.fixtureProblems)) out(`fixture problem: ${problem}`);
        if (r.state.status === 'failed' || r.fixtureProblems.length > 0) process.exitCode = 1;
      },
    );

  pb.command('test')
    .description(
      'run the playbook tests (*.test.yaml beside each playbook) and report step and branch coverage',
    )
    .argument('[paths...]', 'test files or folders', ['playbooks'])
    .action((paths: string[]) => {
      const files = findTestFiles(paths);
      if (files.length === 0) throw invalid(`no *.test.yaml under ${paths.join(', ')}`);
      let failed = 0;
      for (const testFile of files) {
        const tests = parsePlaybookTests(readText(testFile), testFile);
        const pbFile = playbookFileFor(testFile, tests.playbook);
        const playbook = loadPlaybookOrThrow(readText(pbFile), { file: pbFile, ...connectorValidation() });
        const { outcomes, coverage } = runPlaybookTests(playbook, tests, { actions: connectorActions() });
        out(`${pbFile}`);
        for (const o of outcomes) {
          out(`  ${o.passed ? 'ok  ' : 'FAIL'} ${o.name}`);
          for (const f of o.failures) out(`       ${f}`);
          if (!o.passed) failed += 1;
        }
        const pct = (c: { covered: number; total: number }) =>
          c.total ? Math.round((100 * c.covered) / c.total) : 100;
        out(
          `  coverage: steps ${coverage.steps.covered}/${coverage.steps.total} (${pct(coverage.steps)}%), branches ${coverage.branches.covered}/${coverage.branches.total} (${pct(coverage.branches)}%)`,
        );
        if (coverage.steps.missed.length) out(`  steps never run: ${coverage.steps.missed.join(', ')}`);
        if (coverage.branches.missed.length)
          out(`  branches never taken: ${coverage.branches.missed.join(', ')}`);
      }
      out(failed ? `${failed} test(s) failed` : 'all playbook tests passed');
      if (failed) process.exitCode = 1;
    });
}
