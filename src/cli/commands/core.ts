/** Core commands: serve, migrate, seed, backup, restore, audit verify, user add. */
import type { Command } from 'commander';
import { readEnv } from '../../config/env.js';
import { openDb } from '../../db/database.js';
import { migrate } from '../../db/migrate.js';
import { intOpt, withDb } from '../common.js';

export function register(program: Command) {
  program
    .command('serve')
    .description('serve the web UI and the API (http://localhost:3000)')
    .option('--port <port>', 'HTTP port (default $PORT or 3000)')
    .option('--host <host>', 'bind address (default $HOST or 0.0.0.0)')
    .option('--seed-if-empty', 'load demo data on first start')
    .option('--demo-accounts <n>', 'accounts in the demo data', '3000')
    .action(async (o) => {
      const t0 = performance.now();
      const env = readEnv();
      if (o.port) env.port = intOpt('port', o.port, 3000, 0, 65535);
      if (o.host) env.host = o.host;
      const db = await openDb(env);
      await migrate(db, (m) => console.log(m));
      const { isSeeded, seed } = await import('../../jobs/seed.js');
      let logins: Array<{ username: string; role: string; orgUnit: string }> | null = null;
      if (o.seedIfEmpty && !(await isSeeded(db))) {
        console.log('first start: loading demo data ...');
        const r = await seed(db, { accounts: intOpt('demo-accounts', o.demoAccounts, 3000, 10, 2_000_000), months: 24, seed: 1, collection: true });
        logins = r.logins;
        console.log(`demo data: ${r.accounts} accounts, ${r.rows} rows in ${r.seconds} s`);
      }
      const { buildServer } = await import('../../api/server.js');
      const app = await buildServer({ db, env });
      // scheduled jobs (src/jobs/scheduler.ts): stopped by app.close() (onClose hook of the system routes)
      if (env.scheduler) {
        const { schedulerFor } = await import('../../jobs/scheduler.js');
        await (await schedulerFor(db, { log: app.log, smsGatewayUrl: env.smsGatewayUrl, smsGatewayToken: env.smsGatewayToken })).start();
      }
      const close = async () => {
        await app.close().catch(() => {});
        await db.close().catch(() => {});
        process.exit(0);
      };
      process.once('SIGINT', close);
      process.once('SIGTERM', close);
      const addr = await app.listen({ port: env.port, host: env.host });
      const { DEMO_PASSWORD } = await import('../../jobs/seed.js');
      const users = logins ?? (await db.kysely.selectFrom('users').innerJoin('org_units', 'org_units.id', 'users.org_unit_id').select(['username', 'roles', 'org_units.name as orgUnit']).orderBy('users.id').limit(20).execute())
        .map((u) => ({ username: u.username, role: u.roles.join(','), orgUnit: u.orgUnit }));
      const port = new URL(addr).port;
      console.log('');
      console.log(env.scheduler ? 'Scheduled jobs: on (系统管理 → 定时任务; VOLTLINE_SCHEDULER=off disables them)' : 'Scheduled jobs: off (VOLTLINE_SCHEDULER)');
      console.log(`Voltline is ready at http://localhost:${port}  (API docs: http://localhost:${port}/api/docs)  engine=${db.engine}  ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      console.log(`Demo logins (password ${DEMO_PASSWORD} unless changed):`);
      for (const u of users) console.log(`  ${u.username.padEnd(10)} ${u.role.padEnd(18)} ${u.orgUnit}`);
    });

  program
    .command('migrate')
    .description('apply database migrations')
    .action(async () => {
      const env = readEnv();
      const db = await openDb(env);
      try {
        const applied = await migrate(db, (m) => console.log(m));
        console.log(applied.length ? `${applied.length} migration(s) applied` : 'database is up to date');
      } finally {
        await db.close();
      }
    });

  program
    .command('seed')
    .description('load deterministic demo data into an empty database (bulk COPY)')
    .option('--accounts <n>', 'number of accounts', '3000')
    .option('--months <m>', 'months of register readings per meter (0 = none)', '24')
    .option('--seed <s>', 'random seed', '1')
    .option('--json', 'print the result as JSON')
    .action(async (o) => {
      await withDb(async (db) => {
        const { seed } = await import('../../jobs/seed.js');
        const r = await seed(db, {
          accounts: intOpt('accounts', o.accounts, 3000, 10, 20_000_000), months: intOpt('months', o.months, 24, 0, 120), seed: intOpt('seed', o.seed, 1), collection: true,
          log: o.json ? undefined : (m) => console.log(m),
        });
        if (o.json) console.log(JSON.stringify(r, null, 2));
        else console.log(`seeded ${r.accounts} accounts: ${r.rows} rows in ${r.seconds} s (${r.rowsPerSecond} rows/s) on ${db.engine}`);
      });
    });

  program
    .command('backup <file>')
    .description('back up the whole database to FILE (gzip JSON lines with checksums)')
    .action(async (file: string) => {
      await withDb(async (db) => {
        const { backup } = await import('../../jobs/backup.js');
        const r = await backup(db, file);
        const rows = r.tables.reduce((s, t) => s + t.rows, 0);
        console.log(`backup written to ${file}: ${r.tables.length} tables, ${rows} rows, ${r.bytes} bytes`);
      });
    });

  program
    .command('restore <file>')
    .description('restore a backup into an empty database (--force replaces all data)')
    .option('--force', 'replace existing data')
    .action(async (file: string, o) => {
      await withDb(async (db) => {
        const { restore } = await import('../../jobs/backup.js');
        const r = await restore(db, file, { force: !!o.force });
        const rows = r.tables.reduce((s, t) => s + t.rows, 0);
        console.log(`restored ${r.tables.length} tables, ${rows} rows; counts and checksums match the backup`);
      });
    });

  const audit = program.command('audit').description('audit trail tools');
  audit
    .command('verify')
    .description('verify the audit hash chain; exit 1 and name the first broken link if it was tampered with')
    .action(async () => {
      await withDb(async (db) => {
        const { verifyAudit } = await import('../../app/audit/verify-audit.js');
        const r = await verifyAudit(db);
        if (r.ok) console.log(`audit chain OK: ${r.checked} events verified`);
        else {
          console.log(`audit chain BROKEN at event ${r.firstBrokenId}: ${r.reason} (${r.checked} events verified before it)`);
          process.exitCode = 1;
        }
      });
    });

  const user = program.command('user').description('user administration');
  user
    .command('add <username>')
    .description('create a user (password from --password or $VOLTLINE_NEW_PASSWORD)')
    .requiredOption('--role <roles>', 'comma-separated role codes, e.g. administrator')
    .requiredOption('--org <code>', 'org unit code, e.g. C01')
    .option('--name <displayName>', 'display name')
    .option('--password <password>', 'initial password (policy: 8+ chars, 3 character classes)')
    .action(async (username: string, o) => {
      await withDb(async (db) => {
        const { createUser } = await import('../../app/security/users.js');
        const { SYSTEM_ACTOR } = await import('../../app/context.js');
        const ou = await db.kysely.selectFrom('org_units').select('id').where('code', '=', o.org).executeTakeFirst();
        if (!ou) throw new Error(`org unit ${o.org} not found`);
        const password = o.password ?? process.env.VOLTLINE_NEW_PASSWORD;
        if (!password) throw new Error('--password or VOLTLINE_NEW_PASSWORD required');
        const u = await createUser(db, { ...SYSTEM_ACTOR, username: 'cli' }, { username, displayName: o.name ?? username, password, orgUnitId: ou.id, roles: String(o.role).split(',') });
        console.log(`user ${u.username} created (id ${u.id})`);
      });
    });
}
