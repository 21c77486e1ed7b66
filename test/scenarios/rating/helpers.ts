import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTariffVersion } from '../../../src/domain/tariffs/validate.js';
import type { TariffVersion } from '../../../src/domain/tariffs/schema.js';
import type { RateResult } from '../../../src/domain/rating/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Load and validate a demo tariff from tariffs/. */
export function tariff(file: string): TariffVersion {
  return parseTariffVersion(JSON.parse(fs.readFileSync(path.join(root, 'tariffs', file), 'utf8')));
}

/** Raw JSON of a demo tariff (to derive test variants). */
export function tariffJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(root, 'tariffs', file), 'utf8'));
}

export function amountOf(r: RateResult, code: string): string | undefined {
  return r.lines.find((l) => l.code === code)?.amount;
}

/** Sum of line amounts whose code starts with a prefix, as a 2-dp string (exact via integer 分). */
export function sumOf(r: RateResult, prefix: string): string {
  let fen = 0;
  for (const l of r.lines) if (l.code.startsWith(prefix)) fen += Math.round(Number(l.amount) * 100);
  return (fen / 100).toFixed(2);
}

export const repoRoot = root;
