/**
 * `voltline bill --period 2026-10 [--route R]... [--org CODE]... [--trial] [--partition-size N]`
 * creates (or joins) a billing run and works on it in this process, printing progress
 * (accounts done/total, accounts/s, ETA). `voltline bill-worker [--run ID]` is an extra worker
 * for a run (or for every unfinished run): start several on PostgreSQL to share a run.
 */
import type { Command } from 'commander';
import { intOpt, withDb } from '../common.js';
import { ValidationError } from '../../domain/errors.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(program: Command): void {
  program
    .command('bill')
    .description('Billing run (电费核算): create or join a run for a period and scope, bill it here with progress')
    .requiredOption('--period <YYYY-MM>', 'billing period (电费年月)')
    .option('--route <code|id>', 'reading route (抄表段) code or id; repeatable', collect, [])
    .option('--org <code>', 'org unit code (subtree); repeatable', collect, [])
    .option('--trial', 'trial run (试算): same computation, bills never issue')
    .option('--partition-size <n>', 'accounts per partition', '2000')
    .option('--no-work', 'only create the run (workers: voltline bill-worker --run ID)')
    .option('--json', 'print the final run as JSON')
    .action(async (o: { period: string; route: string[]; org: string[]; trial?: boolean; partitionSize: string; work: boolean; json?: boolean }) => {
      await withDb(async (db) => {
        const { SYSTEM_ACTOR } = await import('../../app/context.js');
        const { createRun, runProgress, workRun } = await import('../../app/billing/run.js');
        const actor = { ...SYSTEM_ACTOR, username: 'cli' };
        const routeIds: number[] = [];
        for (const r of o.route) {
          const row = await db.kysely.selectFrom('reading_routes').select('id').where((eb) => (/^\d+$/.test(r) ? eb.or([eb('id', '=', Number(r)), eb('code', '=', r)]) : eb('code', '=', r))).executeTakeFirst();
          if (!row) throw new ValidationError('--route', `reading route ${r} not found`);
          routeIds.push(row.id);
        }
        const orgUnitIds: number[] = [];
        for (const c of o.org) {
          const row = await db.kysely.selectFrom('org_units').select('id').where('code', '=', c).executeTakeFirst();
          if (!row) throw new ValidationError('--org', `org unit ${c} not found`);
          orgUnitIds.push(row.id);
        }
        const { run, joined } = await createRun(db, actor, { period: o.period, trial: o.trial === true, routeIds, orgUnitIds, partitionSize: intOpt('partition-size', o.partitionSize, 2000, 1, 100_000) });
        console.error(`${joined ? 'joined' : 'created'} billing run ${run.id}: ${run.period}${run.trial ? ' (trial 试算)' : ''}, ${run.totalAccounts.toLocaleString('en')} accounts in ${run.partitions} partitions`);
        if (o.work) {
          let last = 0;
          const show = async (force = false) => {
            if (!force && Date.now() - last < 1000) return;
            last = Date.now();
            const p = (await runProgress(db.kysely, run.id)).progress;
            const eta = p.etaSeconds === null ? '' : `, ETA ${p.etaSeconds} s`;
            console.error(`  ${p.accountsDone.toLocaleString('en')} / ${p.accountsTotal.toLocaleString('en')} accounts (${p.partitionsDone}/${p.partitionsTotal} partitions), ${p.accountsPerSecond.toLocaleString('en')} accounts/s${eta}; exceptions ${p.exceptions}, flagged ${p.flagged}`);
          };
          await workRun(db, run.id, undefined, { onProgress: () => void show() });
          await show(true);
        }
        const out = await runProgress(db.kysely, run.id);
        if (o.json) console.log(JSON.stringify(out, null, 2));
        else console.log(`run ${run.id} ${out.run.status}: bills ${out.progress.bills}, exceptions ${out.progress.exceptions}, flagged ${out.progress.flagged}, skipped (already billed) ${out.progress.skipped}, amount ${out.progress.amountTotal} 元`);
      });
    });

  program
    .command('bill-worker')
    .description('Billing worker: claims partitions of a run (FOR UPDATE SKIP LOCKED) until none is left')
    .option('--run <id>', 'billing run id (default: every unfinished run, oldest first)')
    .option('--stale-seconds <n>', 'take over partitions whose worker has not been heard of for this long', '60')
    .action(async (o: { run?: string; staleSeconds: string }) => {
      await withDb(async (db) => {
        const { workRun, newWorkerId } = await import('../../app/billing/run.js');
        const ids = o.run !== undefined
          ? [intOpt('run', o.run, 0, 1)]
          : (await db.kysely.selectFrom('billing_runs').select('id').where('status', 'in', ['created', 'running']).orderBy('id').execute()).map((r) => r.id);
        const workerId = newWorkerId();
        for (const id of ids) {
          const s = await workRun(db, id, workerId, { staleAfterMs: intOpt('stale-seconds', o.staleSeconds, 60, 1) * 1000 });
          console.log(JSON.stringify({ runId: id, ...s }));
        }
        if (ids.length === 0) console.error('no unfinished billing run');
      });
    });
}
