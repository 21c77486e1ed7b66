/**
 * `voltline simulate-meters --count N --port P [--concentrators K] [--faults ...] [--seed S]`
 * Runs N simulated DL/T 645-2007 meters behind K concentrators on 127.0.0.1 until stopped
 * (Ctrl-C) or `--duration` seconds. Prints one JSON line with the listening ports, then a JSON
 * line with request statistics when it stops. See docs/dlt645.md.
 */
import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors.js';
import { meterAddress, parseFaults } from '../../domain/protocols/dlt645/simulator.js';
import { startMeterSimulator } from '../../jobs/meter-simulator.js';

function int(field: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ValidationError(field, `must be an integer ${min}..${max}, got "${v}"`);
  return n;
}

export function register(program: Command): void {
  program
    .command('simulate-meters')
    .description('run simulated DL/T 645-2007 meters behind concentrators on 127.0.0.1 (模拟电表)')
    .requiredOption('--count <n>', 'number of meters (addresses 000000000001 ... )')
    .requiredOption('--port <p>', 'first TCP port; concentrator k listens on port+k (0 = ephemeral ports)')
    .option('--concentrators <k>', 'number of concentrators', '1')
    .option('--faults <list>', 'e.g. no-reply=0.01,late=0.005,bad-checksum=0.005,error=0.005,clock-drift=0.02,rollover=0.001,power-down=0.01')
    .option('--seed <s>', 'seed of the meter population and the fault draws', '1')
    .option('--late-ms <ms>', 'delay of a late reply', '2000')
    .option('--duration <s>', 'stop after this many seconds (default: run until interrupted)')
    .action(async (o: { count: string; port: string; concentrators: string; faults?: string; seed: string; lateMs: string; duration?: string }) => {
      const count = int('count', o.count, 1, 1_000_000);
      const port = int('port', o.port, 0, 65535);
      const concentrators = int('concentrators', o.concentrators, 1, 10_000);
      if (port !== 0 && port + concentrators - 1 > 65535) throw new ValidationError('port', 'port + concentrators exceeds 65535');
      const seed = int('seed', o.seed, 0, 2 ** 31 - 1);
      const lateMs = int('late-ms', o.lateMs, 0, 600_000);
      let faults;
      try {
        faults = parseFaults(o.faults);
      } catch (e) {
        throw new ValidationError('faults', (e as Error).message);
      }
      const sim = await startMeterSimulator({ count, port, concentrators, faults, seed, lateMs });
      console.log(
        JSON.stringify({
          event: 'listening',
          count,
          seed,
          faults,
          concentrators: sim.concentrators.map((c) => ({ ...c, firstAddress: meterAddress(c.firstIndex), lastAddress: meterAddress(c.lastIndex) })),
        }),
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        if (o.duration !== undefined) setTimeout(stop, int('duration', o.duration, 1, 10_000_000) * 1000).unref();
      });
      await sim.close();
      console.log(JSON.stringify({ event: 'stopped', stats: sim.stats }));
    });
}
