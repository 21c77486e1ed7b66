/**
 * `voltline rate-urdb --rate RATE.json --load LOAD.csv [--year 2025] [--json]`
 * Bill an 8760-hour load against an OpenEI URDB rate (NREL SAM semantics, src/domain/urdb).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors.js';
import { billUrdb, parseLoadCsv, urdbBillJson } from '../../domain/urdb/bill.js';
import { importUrdbRate } from '../../domain/urdb/import.js';

function readFile(p: string, field: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch (e) {
    throw new ValidationError(field, `cannot read ${p}: ${(e as Error).message}`);
  }
}

export function register(program: Command): void {
  program
    .command('rate-urdb')
    .description('Bill an hourly load profile against a URDB rate, month by month (URDB/SAM semantics)')
    .requiredOption('--rate <file>', 'URDB rate JSON (API response or rate item)')
    .requiredOption('--load <file>', 'load CSV: one kW value per line, optional header; hour 0 = Jan 1 00:00')
    .option('--year <year>', 'calendar year for weekdays/weekends (default: Jan 1 is a Monday, as in SAM)')
    .option('--json', 'print JSON: { months[]: { energy, demand, fixed, total, … }, annual }')
    .action((opts: { rate: string; load: string; year?: string; json?: boolean }) => {
      let rateJson: unknown;
      try {
        rateJson = JSON.parse(readFile(opts.rate, '--rate'));
      } catch (e) {
        if (e instanceof ValidationError) throw e;
        throw new ValidationError('--rate', `not valid JSON: ${(e as Error).message}`);
      }
      const rate = importUrdbRate(rateJson);
      const load = parseLoadCsv(readFile(opts.load, '--load'));
      let year: number | undefined;
      if (opts.year !== undefined) {
        year = Number(opts.year);
        if (!Number.isInteger(year) || year < 1900 || year > 2200) throw new ValidationError('--year', 'must be a year such as 2025');
      }
      const out = urdbBillJson(billUrdb(rate, load, undefined, year));
      if (opts.json) {
        process.stdout.write(JSON.stringify(out, null, 2) + '\n');
        return;
      }
      const pad = (s: string, n: number) => s.padStart(n);
      const lines = [`${rate.name}`, `${'month'.padEnd(5)} ${pad('kWh', 12)} ${pad('energy', 12)} ${pad('demand', 12)} ${pad('fixed', 9)} ${pad('minimum', 9)} ${pad('total', 12)}`];
      for (const m of out.months) {
        lines.push(`${String(m.month).padEnd(5)} ${pad(m.kwh, 12)} ${pad(m.energy, 12)} ${pad(m.demand, 12)} ${pad(m.fixed, 9)} ${pad(m.minimum, 9)} ${pad(m.total, 12)}`);
      }
      lines.push(`annual ${out.annual} (exact ${out.annualExact})`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
