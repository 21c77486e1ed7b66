/**
 * `voltline tariff import FILE` / `voltline tariff export [--code C] [--out FILE]`: the tariff
 * catalogue in the database as JSON (format: docs/tariffs.md). Import is all or nothing; versions
 * already stored unchanged are skipped; policy warnings are printed, never block.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors.js';
import { SYSTEM_ACTOR, type Actor } from '../../app/context.js';
import { withDb } from '../common.js';

const CLI_ACTOR: Actor = { ...SYSTEM_ACTOR, username: 'cli', displayName: '命令行' };

function readJson(p: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(p, 'utf8');
  } catch (e) {
    throw new ValidationError('FILE', `cannot read ${p}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ValidationError('FILE', `${p} is not valid JSON: ${(e as Error).message}`);
  }
}

export function register(program: Command): void {
  const tariff = program.command('tariff').description('tariff catalogue (电价): import / export JSON');
  tariff
    .command('import <files...>')
    .description('import tariff versions from JSON files (each: one version or an array); all files in one transaction')
    .option('--json', 'print the result as JSON')
    .action(async (files: string[], o: { json?: boolean }) => {
      const items = files.flatMap((f) => {
        const j = readJson(f);
        return Array.isArray(j) ? j : [j];
      });
      await withDb(async (db) => {
        const { importTariffs } = await import('../../app/tariffs/catalog.js');
        const r = await importTariffs(db, CLI_ACTOR, items);
        if (o.json) {
          console.log(JSON.stringify(r, null, 2));
          return;
        }
        for (const c of r.created) console.log(`created  ${c.code} ${c.version} (${c.effectiveFrom} – ${c.effectiveTo ?? 'open'}) id ${c.id}`);
        for (const u of r.unchanged) console.log(`unchanged ${u.code} ${u.version} id ${u.id}`);
        for (const w of r.warnings) for (const x of w.warnings) console.log(`warning  ${w.code} ${w.version}: ${x.code} ${x.message}`);
        console.log(`${r.created.length} created, ${r.unchanged.length} unchanged`);
      });
    });
  tariff
    .command('export')
    .description('export tariff versions as a JSON array (importable)')
    .option('--code <code>', 'only this tariff code')
    .option('--out <file>', 'write to FILE instead of stdout')
    .action(async (o: { code?: string; out?: string }) => {
      await withDb(async (db) => {
        const { exportTariffs } = await import('../../app/tariffs/catalog.js');
        const docs = await exportTariffs(db, CLI_ACTOR, { code: o.code });
        const text = JSON.stringify(docs, null, 2) + '\n';
        if (o.out) {
          fs.writeFileSync(o.out, text);
          console.log(`${docs.length} tariff version(s) written to ${o.out}`);
        } else process.stdout.write(text);
      });
    });
}
