import type { Command } from 'commander';
import { YAMLParseError, parse as parseYaml } from 'yaml';
import { getSlaPolicies, updateSlaPolicies, type SlaPoliciesView } from '../../app/cases/sla-policies.js';
import { parseSlaPoliciesUpdate } from '../../app/cases/sla-policy.schema.js';
import { localAdminPrincipal } from '../../app/identity/local-admin.js';
import { SlaClockName } from '../../domain/cases/case-sla.js';
import { formatDuration } from '../../domain/shared/duration.js';
import { invalid } from '../../domain/shared/errors.js';
import { Severity } from '../../domain/shared/severity.js';
import { actorOf } from '../../governance/principal.js';
import { withAppContext } from '../cli-context.js';
import { readText } from './playbook-files.js';

function printPolicies(view: SlaPoliciesView, out: NodeJS.WritableStream): void {
  const configured = new Map(view.configured.map((c) => [c.severity, c]));
  out.write(`${['severity', ...SlaClockName].map((h) => h.padEnd(12)).join(' ')} source\n`);
  for (const severity of Severity) {
    const policy = view.policies[severity];
    const c = configured.get(severity);
    const source = c ? `set by ${c.updatedBy} ${new Date(c.updatedAt).toISOString()}` : 'built in';
    out.write(
      `${[severity, ...SlaClockName.map((n) => formatDuration(policy[n]))].map((v) => v.padEnd(12)).join(' ')} ${source}\n`,
    );
  }
}

/** The file's data, JSON or YAML (JSON is YAML); a syntax error names its line and column. */
function readPolicyFile(file: string): unknown {
  let text: string;
  try {
    text = readText(file);
  } catch (err) {
    throw invalid(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    return parseYaml(text) as unknown;
  } catch (err) {
    if (!(err instanceof YAMLParseError)) throw err;
    const pos = err.linePos?.[0];
    throw invalid(`${file} is neither JSON nor YAML`, [
      { line: pos?.line, column: pos?.col, message: err.message.split('\n')[0] ?? err.message },
    ]);
  }
}

export function configureSlaPoliciesCommand(policies: Command): void {
  policies
    .command('show')
    .description('the targets in force per severity, configured or built in')
    .option('--json', 'print JSON (ms per clock), as the API gives it')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await withAppContext(command, async (ctx) => {
        const view = await getSlaPolicies(ctx);
        if (opts.json) process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
        else printPolicies(view, process.stdout);
      });
    });

  policies
    .command('set <file>')
    .description(
      'set the targets of the severities in FILE (JSON or YAML, ms per clock, as PUT /api/v1/sla-policies takes); open cases are held to them at once',
    )
    .addHelpText(
      'after',
      '\nFILE, e.g. sla.yaml:\n  critical: { acknowledge: 600000, contain: 7200000, resolve: 43200000 }\n  high:\n    acknowledge: 1800000\n    contain: 28800000\n    resolve: 259200000\n\nExample:\n  $ riposte sla-policies set sla.yaml',
    )
    .action(async (file: string, _opts: unknown, command: Command) => {
      // Checked before the store is opened: a wrong file changes nothing and says what is wrong.
      const input = parseSlaPoliciesUpdate(readPolicyFile(file));
      await withAppContext(
        command,
        async (ctx) => {
          const view = await updateSlaPolicies(ctx, input, actorOf(localAdminPrincipal()), '');
          printPolicies(view, process.stdout);
          process.stdout.write(`open cases rescheduled: ${view.rescheduled ?? 0}\n`);
        },
        { permission: 'settings:admin' },
      );
    });
}
