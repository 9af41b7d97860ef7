import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { renderComplianceHtml } from '../../app/reports/compliance-html.js';
import { buildComplianceReport } from '../../app/reports/compliance-report.service.js';
import { withAppContext } from '../cli-context.js';
import { parseWhen } from './audit.command.js';

export function configureReportCommand(report: Command): void {
  report
    .command('compliance')
    .description('map the audit log and case timelines to SOC 2 CC7.3-CC7.5 and NIST SP 800-61 phases')
    .requiredOption('--from <when>', 'start of the period (date, ISO time, or 90d)')
    .option('--to <when>', 'end of the period (default: now)')
    .addOption(new Option('--format <format>', 'output format').choices(['html', 'json']).default('html'))
    .option('-o, --out <file>', 'write to this file instead of standard output')
    .addHelpText(
      'after',
      '\nExamples:\n  $ riposte report compliance --from 2026-01-01 --to 2026-04-01 -o q1.html\n  $ riposte report compliance --from 30d --format json',
    )
    .action(
      async (
        opts: { from: string; to?: string; format: 'html' | 'json'; out?: string },
        command: Command,
      ) => {
        await withAppContext(command, async (ctx) => {
          const now = ctx.clock.now();
          const result = await buildComplianceReport(ctx, {
            from: parseWhen(opts.from, now, '--from'),
            to: opts.to ? parseWhen(opts.to, now, '--to') : now,
          });
          const text =
            opts.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderComplianceHtml(result);
          if (opts.out) writeFileSync(opts.out, text);
          else process.stdout.write(text);
        });
      },
    );
}
