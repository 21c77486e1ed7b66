/**
 * `voltline simulate-sms --port P [--fail-rate R] [--fail-first N] [--token T] [--duration S]`
 * Runs the loopback SMS gateway simulator on 127.0.0.1 until stopped (Ctrl-C) or `--duration`
 * seconds. Prints one JSON line when listening and one with its statistics when it stops.
 */
import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors.js';
import { startSmsGateway } from '../../jobs/sms-gateway-simulator.js';

export function register(program: Command): void {
  program
    .command('simulate-sms')
    .description('run the loopback SMS gateway simulator on 127.0.0.1 (短信网关模拟器)')
    .requiredOption('--port <p>', 'TCP port (0 = ephemeral)')
    .option('--fail-rate <r>', 'share of sends answered 503 (0..1)', '0')
    .option('--fail-first <n>', 'answer the first n sends with 503', '0')
    .option('--token <t>', 'require this Bearer token')
    .option('--seed <s>', 'seed of the failure draws', '1')
    .option('--duration <s>', 'stop after this many seconds (default: run until interrupted)')
    .action(async (o: { port: string; failRate: string; failFirst: string; token?: string; seed: string; duration?: string }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ValidationError('port', `must be an integer 0..65535, got "${o.port}"`);
      const failRate = Number(o.failRate);
      if (!(failRate >= 0 && failRate <= 1)) throw new ValidationError('fail-rate', `must be 0..1, got "${o.failRate}"`);
      const failFirst = Number(o.failFirst);
      if (!Number.isInteger(failFirst) || failFirst < 0) throw new ValidationError('fail-first', `must be a non-negative integer, got "${o.failFirst}"`);
      const seed = Number(o.seed);
      if (!Number.isInteger(seed)) throw new ValidationError('seed', 'must be an integer');
      const sim = await startSmsGateway({ port, failRate, token: o.token ?? null, seed });
      sim.failNext(failFirst);
      console.log(JSON.stringify({ event: 'listening', url: sim.url, port: sim.port, failRate, failFirst }));
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        if (o.duration !== undefined) {
          const d = Number(o.duration);
          if (!Number.isInteger(d) || d < 1) throw new ValidationError('duration', 'must be a positive integer');
          setTimeout(stop, d * 1000).unref();
        }
      });
      await sim.close();
      console.log(JSON.stringify({ event: 'stopped', stats: sim.stats }));
    });
}
