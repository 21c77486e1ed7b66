#!/usr/bin/env node
// `npm run bench -- <name> [args]` runs bench/<name>.bench.ts and prints its JSON figures.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

register();
const here = path.dirname(fileURLToPath(import.meta.url));
const benchDir = path.join(here, '..', 'bench');
const name = process.argv[2];
const available = fs.readdirSync(benchDir).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace('.bench.ts', ''));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name> [args]\navailable: ${available.join(', ')}`);
  process.exit(2);
}
const mod = await import(path.join(benchDir, `${name}.bench.ts`));
await mod.run(process.argv.slice(3));
