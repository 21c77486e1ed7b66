/**
 * Demo tariffs: load every `tariffs/*.json` into the catalogue (called by the demo seed).
 * Idempotent: versions already stored unchanged are skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../../db/database.js';
import { SYSTEM_ACTOR } from '../context.js';
import { importTariffs } from './catalog.js';

export const DEMO_TARIFF_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../tariffs');

/** The demo tariff documents, in file-name order. */
export function readDemoTariffs(dir = DEMO_TARIFF_DIR): unknown[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
}

export async function seedTariffs(db: Db, dir = DEMO_TARIFF_DIR): Promise<{ created: number; unchanged: number }> {
  const r = await importTariffs(db, SYSTEM_ACTOR, readDemoTariffs(dir));
  return { created: r.created.length, unchanged: r.unchanged.length };
}
