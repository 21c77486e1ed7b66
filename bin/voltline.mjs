#!/usr/bin/env node
// The `voltline` command. Runs the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

register();
const here = path.dirname(fileURLToPath(import.meta.url));
const { main } = await import(path.join(here, '..', 'src', 'cli', 'main.ts'));
await main(process.argv);
