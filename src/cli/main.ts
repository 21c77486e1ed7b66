/**
 * `voltline` CLI. Each file in ./commands exports `register(program: Command)`; they are
 * discovered at start so modules add commands without touching this file.
 */
import { Command, CommanderError } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function buildProgram(): Promise<Command> {
  const program = new Command('voltline')
    .description('Voltline 电力营销业务系统 — command line')
    .showHelpAfterError()
    .exitOverride();
  const dir = path.join(here, 'commands');
  const files = fs
    .readdirSync(dir)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .sort();
  for (const f of files) {
    const mod = await import(pathToFileURL(path.join(dir, f)).href);
    if (typeof mod.register === 'function') mod.register(program);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    const err = e as Error & { code?: string };
    console.error(`voltline: ${err.code ? err.code + ': ' : ''}${err.message}`);
    if (process.env.LOG_LEVEL === 'debug') console.error(err.stack);
    process.exitCode = 1;
  }
}
