/**
 * `voltline collect [--route R ...] [--day D] [--endpoint host:port] [--resume RUN_ID]`
 * Reads the installed meters (of the given reading routes, by id or code) over DL/T 645 through
 * the head-end, stores readings through VEE (source headend) and daily frozen values, prints
 * progress and the per-route 采集成功率 table. Ctrl-C interrupts: the run stays `running` and
 * `--resume RUN_ID` continues it. Runs as the system user. See docs/metering.md.
 */
import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors.js';
import { intOpt, withDb } from '../common.js';

/** pad to a display width (CJK characters take two columns) */
const padW = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - [...s].reduce((n, c) => n + (/[\u2e80-\uffff]/.test(c) ? 2 : 1), 0)));

export function register(program: Command): void {
  program
    .command('collect')
    .description('read meters through the head-end into the database (采集) and print 采集成功率 per route')
    .option('--route <idOrCode...>', 'reading route id or code (抄表段); repeatable; default: every installed meter')
    .option('--day <YYYY-MM-DD>', 'data day of the daily frozen values (default yesterday)')
    .option('--endpoint <host:port>', 'head-end / concentrator endpoint for meters without their own')
    .option('--resume <runId>', 'continue a run left running (polls only the meters without a result)')
    .option('--concurrency <n>', 'meters polled at once', '256')
    .option('--timeout-ms <ms>', 'wait for one reply', '1500')
    .option('--retries <n>', 'extra attempts per register', '2')
    .option('--failures <n>', 'failed meters to list', '20')
    .option('--json', 'print the summary and per-route table as JSON')
    .action(async (o: { route?: string[]; day?: string; endpoint?: string; resume?: string; concurrency: string; timeoutMs: string; retries: string; failures: string; json?: boolean }) => {
      let endpoint: { host: string; port: number } | undefined;
      if (o.endpoint) {
        const m = /^([^:\s]+):(\d{1,5})$/.exec(o.endpoint);
        if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new ValidationError('endpoint', `host:port expected, got "${o.endpoint}"`);
        endpoint = { host: m[1], port: Number(m[2]) };
      }
      await withDb(async (db) => {
        const { SYSTEM_ACTOR } = await import('../../app/context.js');
        const { startCollection, collectionStats } = await import('../../app/metering/collection.js');
        const { stopDemoSimulator } = await import('../../jobs/seed-collection.js');
        const actor = { ...SYSTEM_ACTOR, username: 'cli' };
        let routeIds: number[] | undefined;
        if (o.route?.length) {
          routeIds = [];
          for (const r of o.route.flatMap((x) => x.split(','))) {
            const row = await db.kysely.selectFrom('reading_routes').select('id')
              .where((eb) => (/^\d+$/.test(r) ? eb.or([eb('id', '=', Number(r)), eb('code', '=', r)]) : eb('code', '=', r))).executeTakeFirst();
            if (!row) throw new ValidationError('route', `reading route ${r} not found`);
            routeIds.push(Number(row.id));
          }
        }
        const ac = new AbortController();
        const stop = () => {
          if (!o.json) process.stderr.write('\ninterrupting: finishing the meters in flight ...\n');
          ac.abort();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        let last = 0;
        try {
          const s = await startCollection(db, actor, {
            ...(o.resume ? { resumeRunId: intOpt('resume', o.resume, 0, 1) } : { routeIds, dataDay: o.day }),
            endpoint, signal: ac.signal,
            concurrency: intOpt('concurrency', o.concurrency, 256, 1, 4096), timeoutMs: intOpt('timeout-ms', o.timeoutMs, 1500, 50, 60_000), retries: intOpt('retries', o.retries, 2, 0, 10),
            onProgress: (p) => {
              if (o.json || (Date.now() - last < 1000 && p.done < p.total)) return;
              last = Date.now();
              process.stderr.write(`\rrun ${p.runId}: ${p.done}/${p.total} meters, ${p.ok} ok, ${p.failed} failed   `);
            },
          });
          if (!o.json) console.error(`run ${s.runId}${s.resumed ? ' (resumed)' : ''}: ${s.pending} meters to poll`);
          const sum = await s.execute();
          if (!o.json) process.stderr.write('\n');
          const stats = await collectionStats(db, actor, { runId: s.runId, pageSize: intOpt('failures', o.failures, 20, 0, 100) || 1 });
          if (o.json) {
            console.log(JSON.stringify({ summary: sum, routes: stats.routes, reasons: stats.reasons, failures: stats.failures.items }, null, 2));
          } else {
            console.log(`run ${sum.runId} ${sum.status} in ${sum.seconds} s: ${sum.ok}/${sum.total} meters ok (采集成功率 ${sum.successRate} %), ` +
              `readings stored ${sum.readings.stored} (accepted ${sum.readings.accepted}, pending review ${sum.readings.pendingReview}, rejected ${sum.readings.rejected}), daily frozen ${sum.dailyFrozen}`);
            console.log('');
            console.log(`${'route'.padEnd(12)} ${'name'.padEnd(14)} ${'meters'.padStart(7)} ${'ok'.padStart(7)} ${'failed'.padStart(7)} ${'rate %'.padStart(7)}`);
            for (const r of stats.routes) console.log(`${String(r.code ?? '-').padEnd(12)} ${padW(String(r.name ?? ''), 14)} ${String(r.meters).padStart(7)} ${String(r.ok).padStart(7)} ${String(r.failed).padStart(7)} ${String(r.successRate ?? '-').padStart(7)}`);
            if (stats.reasons.length) {
              console.log('');
              console.log('failures: ' + stats.reasons.map((r) => `${r.reason} ${r.count} (${r.text?.zh})`).join(', '));
              for (const f of stats.failures.items) console.log(`  ${f.commAddress} ${f.accountNo} ${f.routeCode ?? '-'} ${f.reason} — ${f.reasonText?.zh} / ${f.reasonText?.en}`);
            }
            if (sum.status === 'running') console.log(`\ninterrupted: continue with  voltline collect --resume ${sum.runId}`);
          }
          if (sum.status === 'failed') process.exitCode = 1;
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          await stopDemoSimulator();
        }
      });
    });
}
