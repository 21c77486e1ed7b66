/**
 * `voltline dlt645 ...` — DL/T 645-2007 frame analyzer (报文解析) for field engineers.
 *   voltline dlt645 decode 68 01 00 00 00 00 00 68 91 08 33 33 34 33 9A 78 56 34 D3 16
 *   voltline dlt645 read-frame --address 000000000001 --di 00010000
 *   voltline dlt645 di 00010000
 */
import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors.js';
import { Dlt645EncodeError, analyzeFrame, buildReadRequest, bytesToHex, lookupDi, normalizeDi } from '../../domain/protocols/dlt645/index.js';

function encodeOrFail<T>(field: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Dlt645EncodeError) throw new ValidationError(field, e.message, { dlt645: e.code });
    throw e;
  }
}

export function register(program: Command): void {
  const cmd = program.command('dlt645').description('DL/T 645-2007 报文解析 / frame tools');

  cmd
    .command('decode')
    .description('decode one frame given in hex; prints JSON (exit code 1 if the frame is bad)')
    .argument('<hex...>', 'frame bytes in hex, e.g. "68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16"')
    .action((hex: string[]) => {
      const r = analyzeFrame(hex.join(' '));
      console.log(JSON.stringify(r, null, 2));
      if (!r.ok) process.exitCode = 1;
    });

  cmd
    .command('read-frame')
    .description('print the read request (0x11) frame for a meter address and DI, in hex')
    .requiredOption('--address <address>', 'meter address, 12 BCD digits (AA = wildcard byte)')
    .requiredOption('--di <di>', 'data identifier DI3..DI0, e.g. 00010000')
    .option('--preamble <n>', 'number of FE bytes (0-4)', '0')
    .action((o: { address: string; di: string; preamble: string }) => {
      const di = encodeOrFail('di', () => normalizeDi(o.di));
      const pre = Number(o.preamble);
      if (!Number.isInteger(pre) || pre < 0 || pre > 4) throw new ValidationError('preamble', 'must be 0-4');
      const frame = encodeOrFail('address', () => buildReadRequest(o.address, di, { preamble: pre }));
      console.log(bytesToHex(frame));
    });

  cmd
    .command('di')
    .description('show what a data identifier means (name, unit, format)')
    .argument('<di>', 'DI3..DI0, e.g. 00010000')
    .action((d: string) => {
      const di = encodeOrFail('di', () => normalizeDi(d));
      const def = lookupDi(di);
      if (!def) {
        console.log(JSON.stringify({ di, known: false }, null, 2));
        process.exitCode = 1;
        return;
      }
      console.log(
        JSON.stringify(
          { di, known: true, name: def.name, unit: def.unit, block: def.block, bytes: def.itemBytes, fields: def.fields.map((f) => ({ key: f.key, format: f.codec.format, kind: f.codec.kind })) },
          null,
          2,
        ),
      );
    });
}
