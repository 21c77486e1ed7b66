/**
 * `voltline print-bills --run N [--route R] --out file.pdf` writes the printable batch (批量打印) of a
 * billing run: a cover page and every issued bill of the run (or of one reading route) in route and
 * walking order, one bill per page. Pages are rendered while the file is written (constant memory).
 */
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { withDb } from '../common.js';
import { ValidationError } from '../../domain/errors.js';

export function register(program: Command): void {
  program
    .command('print-bills')
    .description('Printable batch of a billing run (批量打印): one PDF, cover page + one issued bill per page')
    .requiredOption('--run <id>', 'billing run id')
    .option('--route <code|id>', 'only the bills of this reading route (抄表段)')
    .requiredOption('--out <file.pdf>', 'output file')
    .option('--chunk <n>', 'bills loaded per step', '100')
    .action(async (o: { run: string; route?: string; out: string; chunk: string }) => {
      if (!/^\d{1,15}$/.test(o.run)) throw new ValidationError('--run', 'a billing run id (positive integer)');
      if (!/^\d{1,4}$/.test(o.chunk) || Number(o.chunk) < 1) throw new ValidationError('--chunk', 'a positive integer ≤ 1000');
      await withDb(async (db) => {
        const { SYSTEM_ACTOR } = await import('../../app/context.js');
        const { openRunPrint } = await import('../../app/billing/bill-pdf.js');
        const actor = { ...SYSTEM_ACTOR, username: 'cli', displayName: 'cli' };
        const started = Date.now();
        const p = await openRunPrint(db, actor, Number(o.run), { route: o.route, chunkSize: Number(o.chunk) });
        const tmp = `${o.out}.part`;
        await pipeline(p.stream, fs.createWriteStream(tmp));
        fs.renameSync(tmp, o.out);
        const secs = (Date.now() - started) / 1000;
        const size = fs.statSync(o.out).size;
        process.stdout.write(`run ${p.runId} ${p.period}${p.route ? ` route ${p.route.code}` : ''}: ${p.count} bills, total ${p.amountTotal} 元, ${p.count + 1} pages → ${o.out} (${(size / 1024).toFixed(0)} KiB, ${secs.toFixed(1)} s${p.font === 'fallback' ? ', no CJK font: English fallback' : ''})\n`);
      });
    });
}
