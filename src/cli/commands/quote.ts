/**
 * `voltline quote --json FILE` — how much will I pay? FILE holds
 * `{ "tariff": <tariff version JSON | path to tariffs/*.json | tariff code>, "usage": { … } }`
 * and the command prints the rated bill (lines with code, name, quantity, unit price, amount, rule).
 * With `{ "accountNo": "…", "usage": { … } }` the account's tariff (from the catalogue) and its
 * household size, capacity, contract demand, basic-charge method and PF standard are used.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { AppError, ValidationError } from '../../domain/errors.js';
import { rateBill } from '../../domain/rating/rate-bill.js';
import type { RateInput } from '../../domain/rating/types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function readJson(p: string, field: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(p, 'utf8');
  } catch (e) {
    throw new ValidationError(field, `cannot read ${p}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ValidationError(field, `${p} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Resolve `tariff`: an object is used as is; a *.json path is read (relative to the quote file, cwd, or repo); otherwise a code in tariffs/. */
export function resolveTariff(t: unknown, baseDir: string): RateInput['tariff'] {
  if (t && typeof t === 'object') return t as RateInput['tariff'];
  if (typeof t !== 'string' || t === '') throw new ValidationError('tariff', 'expected a tariff version object, a path to a tariff JSON file or a tariff code');
  if (t.endsWith('.json')) {
    for (const p of [path.resolve(baseDir, t), path.resolve(t), path.resolve(repoRoot, t)]) {
      if (fs.existsSync(p)) return readJson(p, 'tariff') as RateInput['tariff'];
    }
    throw new ValidationError('tariff', `tariff file not found: ${t}`);
  }
  const dir = path.join(repoRoot, 'tariffs');
  const versions = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => readJson(path.join(dir, f), 'tariff') as { code?: string })
    .filter((v) => v.code === t);
  if (versions.length === 0) throw new AppError('NOT_FOUND', `tariff ${t} not found in tariffs/`, { field: 'tariff' });
  return versions as RateInput['tariff'];
}

export function register(program: Command): void {
  program
    .command('quote')
    .description('Quote a bill (试算): rate usage against a tariff and print the bill lines as JSON')
    .requiredOption('--json <file>', 'JSON file { tariff, usage }')
    .action(async (opts: { json: string }) => {
      const input = readJson(opts.json, '--json') as { tariff?: unknown; usage?: unknown; accountNo?: unknown; accountId?: unknown };
      if (!input || typeof input !== 'object') throw new ValidationError('--json', 'expected an object { tariff, usage }');
      if (input.accountNo !== undefined || input.accountId !== undefined) {
        // { accountNo | accountId, usage }: the account's tariff and determinants from the database
        const { withDb } = await import('../common.js');
        const { quote } = await import('../../app/tariffs/quote.js');
        const { SYSTEM_ACTOR } = await import('../../app/context.js');
        const result = await withDb((db) => quote(db, SYSTEM_ACTOR, input as never));
        process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        return;
      }
      const tariff = resolveTariff(input.tariff, path.dirname(path.resolve(opts.json)));
      const result = rateBill({ tariff, usage: input.usage as RateInput['usage'] });
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    });
}
