/**
 * Logical backup and restore of the whole database, engine-neutral (PGlite <-> PostgreSQL).
 * File: gzip of JSON lines — a header (format, migrations, per-table row counts and SHA-256
 * checksums), then for each table a `{"table":..,"columns":[..]}` line followed by one JSON array
 * per row. Restore runs on an empty database (or with `force`, after truncating), loads tables
 * in foreign-key order, resets identity sequences and checks every table's count and checksum.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import readline from 'node:readline';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Q } from '../app/context.js';
import { canonicalJson } from '../domain/audit/chain.js';
import { migrate, migrationSeededTables } from '../db/migrate.js';

export interface TableSummary {
  name: string;
  rows: number;
  checksum: string;
}

interface TableInfo {
  name: string;
  columns: string[];
  orderBy: string[];
}

/**
 * Every reference between the public tables (child -> parent): the foreign keys, and the
 * references enforced per statement by the refs_check trigger instead (bills, register_readings).
 */
export async function tableReferences(k: Q): Promise<Array<{ child: string; parent: string }>> {
  const deps = await sql<{ child: string; parent: string }>`select c.conrelid::regclass::text as child, c.confrelid::regclass::text as parent
    from pg_constraint c join pg_namespace n on n.oid = c.connamespace where c.contype = 'f' and n.nspname = 'public'`.execute(k);
  // refs_check's arguments (migration 20261129T1600): the transition table, then (column, parent
  // table, noun) per reference; tgargs holds them NUL-separated
  const triggered = await sql<{ child: string; parent: string }>`
    select c.relname::text as child, x.a[i] as parent
      from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      cross join lateral (select regexp_split_to_array(encode(t.tgargs, 'escape'), '\\\\000') as a) x
      cross join lateral generate_series(3, t.tgnargs, 3) i
     where n.nspname = 'public' and t.tgfoid = 'refs_check'::regproc`.execute(k);
  return [...deps.rows, ...triggered.rows];
}

async function tables(k: Q): Promise<TableInfo[]> {
  const t = await sql<{ table_name: string }>`select table_name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'schema_migrations' order by table_name`.execute(k);
  const deps = await tableReferences(k);
  const names = t.rows.map((r) => r.table_name);
  // topological order: parents first
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (n: string, stack: Set<string>) => {
    if (seen.has(n) || stack.has(n)) return;
    stack.add(n);
    for (const d of deps) if (d.child === n && d.parent !== n) visit(d.parent, stack);
    stack.delete(n);
    seen.add(n);
    order.push(n);
  };
  for (const n of names) visit(n, new Set());
  const out: TableInfo[] = [];
  for (const name of order) {
    const cols = await sql<{ column_name: string }>`select column_name from information_schema.columns where table_schema = 'public' and table_name = ${name} order by ordinal_position`.execute(k);
    const pk = await sql<{ column_name: string }>`select a.attname as column_name from pg_index i
      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
      where i.indrelid = ${name}::regclass and i.indisprimary order by array_position(i.indkey, a.attnum)`.execute(k);
    const columns = cols.rows.map((c) => c.column_name);
    out.push({ name, columns, orderBy: pk.rows.length ? pk.rows.map((p) => p.column_name) : columns });
  }
  return out;
}

function normalise(v: unknown): unknown {
  return v instanceof Date ? v.toISOString() : v;
}

async function* tableRows(q: Q, t: TableInfo, page = 5000): AsyncGenerator<unknown[]> {
  const cols = t.columns.map((c) => sql.ref(c));
  const order = sql.join(t.orderBy.map((c) => sql.ref(c)));
  if (t.orderBy.length === 1) {
    let last: unknown = null;
    for (;;) {
      const key = sql.ref(t.orderBy[0]);
      const res = await sql<Record<string, unknown>>`select ${sql.join(cols)} from ${sql.table(t.name)}
        ${last === null ? sql`` : sql`where ${key} > ${last}`} order by ${order} limit ${page}`.execute(q);
      if (res.rows.length === 0) return;
      for (const r of res.rows) yield t.columns.map((c) => normalise(r[c]));
      last = res.rows[res.rows.length - 1][t.orderBy[0]];
      if (res.rows.length < page) return;
    }
  }
  for (let off = 0; ; off += page) {
    const res = await sql<Record<string, unknown>>`select ${sql.join(cols)} from ${sql.table(t.name)} order by ${order} limit ${page} offset ${off}`.execute(q);
    for (const r of res.rows) yield t.columns.map((c) => normalise(r[c]));
    if (res.rows.length < page) return;
  }
}

/** Row counts and checksums of every table (used by backup, restore and tests). */
export async function summarise(db: Db | Q): Promise<TableSummary[]> {
  const q: Q = 'kysely' in db ? (db as Db).kysely : (db as Q);
  const out: TableSummary[] = [];
  for (const t of await tables(q)) {
    const h = crypto.createHash('sha256');
    let n = 0;
    for await (const row of tableRows(q, t)) {
      h.update(canonicalJson(row)).update('\n');
      n++;
    }
    out.push({ name: t.name, rows: n, checksum: h.digest('hex') });
  }
  return out;
}

export async function backup(db: Db, file: string): Promise<{ tables: TableSummary[]; bytes: number }> {
  const infos = await tables(db.kysely);
  const migrations = (await sql<{ name: string }>`select name from schema_migrations order by name`.execute(db.kysely)).rows.map((r) => r.name);
  const tmp = `${file}.partial`;
  const gz = zlib.createGzip({ level: 6 });
  const outStream = fs.createWriteStream(tmp);
  gz.pipe(outStream);
  const write = (s: string) => new Promise<void>((res) => (gz.write(s) ? res() : gz.once('drain', () => res())));
  const summaries: TableSummary[] = [];
  // rows first into the gzip stream; the header with checksums is a trailer line (single pass)
  await write(JSON.stringify({ format: 'voltline-backup', version: 1, createdAt: new Date().toISOString(), engine: db.engine, migrations }) + '\n');
  for (const t of infos) {
    await write(JSON.stringify({ table: t.name, columns: t.columns }) + '\n');
    const h = crypto.createHash('sha256');
    let n = 0;
    let buf = '';
    for await (const row of tableRows(db.kysely, t)) {
      h.update(canonicalJson(row)).update('\n');
      buf += JSON.stringify(row) + '\n';
      n++;
      if (buf.length > 1 << 20) {
        await write(buf);
        buf = '';
      }
    }
    if (buf) await write(buf);
    summaries.push({ name: t.name, rows: n, checksum: h.digest('hex') });
  }
  await write(JSON.stringify({ end: true, tables: summaries }) + '\n');
  await new Promise<void>((res, rej) => {
    outStream.on('finish', res).on('error', rej);
    gz.end();
  });
  fs.renameSync(tmp, file);
  return { tables: summaries, bytes: fs.statSync(file).size };
}

export async function restore(db: Db, file: string, opts: { force?: boolean } = {}): Promise<{ tables: TableSummary[] }> {
  if (!fs.existsSync(file)) throw new Error(`backup file ${file} not found`);
  await migrate(db);
  const infos = await tables(db.kysely);
  const nonEmpty: string[] = [];
  for (const t of infos) {
    const r = await sql<{ n: number }>`select count(*)::int8 as n from (select 1 from ${sql.table(t.name)} limit 1) x`.execute(db.kysely);
    if (Number(r.rows[0].n) > 0) nonEmpty.push(t.name);
  }
  // rows that migrations put in reference tables do not count as data
  const seeded = migrationSeededTables();
  const withData = nonEmpty.filter((t) => !seeded.has(t));
  if (withData.length && !opts.force) {
    throw new Error(`the database is not empty (${withData.slice(0, 5).join(', ')}...); restore into an empty database or pass --force to replace everything`);
  }
  let header: { format?: string; migrations?: string[] } | null = null;
  let expected: TableSummary[] | null = null;
  let got: TableSummary[] = [];
  await db.kysely.transaction().execute(async (trx) => {
    if (nonEmpty.length) await sql`truncate ${sql.join(infos.map((t) => sql.table(t.name)))} restart identity cascade`.execute(trx);
    // open the file only now: lines emitted before iteration starts would be lost
    const rl = readline.createInterface({ input: fs.createReadStream(file).pipe(zlib.createGunzip()), crlfDelay: Infinity });
    let current: { table: string; columns: string[] } | null = null;
    let batch: unknown[][] = [];
    const flush = async () => {
      if (!current || batch.length === 0) return;
      const objs = batch.map((row) => Object.fromEntries(current!.columns.map((c, i) => [c, row[i]])));
      await sql`insert into ${sql.table(current.table)} (${sql.join(current.columns.map((c) => sql.ref(c)))})
        select ${sql.join(current.columns.map((c) => sql.ref(c)))} from json_populate_recordset(null::${sql.table(current.table)}, ${JSON.stringify(objs)}::json)`.execute(trx);
      batch = [];
    };
    for await (const line of rl) {
      if (!line) continue;
      const v = JSON.parse(line);
      if (!header) {
        if (v.format !== 'voltline-backup') throw new Error('not a Voltline backup file');
        header = v;
        continue;
      }
      if (Array.isArray(v)) {
        batch.push(v);
        if (batch.length >= 2000) await flush();
      } else if (v.table) {
        await flush();
        if (!infos.some((t) => t.name === v.table)) throw new Error(`backup has unknown table ${v.table}`);
        current = v;
      } else if (v.end) {
        await flush();
        expected = v.tables;
      }
    }
    if (!expected) throw new Error('backup file is truncated (no end marker)');
    const identity = await sql<{ table_name: string; column_name: string }>`select table_name, column_name from information_schema.columns
      where table_schema = 'public' and is_identity = 'YES'`.execute(trx);
    for (const c of identity.rows) {
      await sql`select setval(pg_get_serial_sequence(${c.table_name}, ${c.column_name}),
        (select coalesce(max(${sql.ref(c.column_name)}), 0) + 1 from ${sql.table(c.table_name)}), false)`.execute(trx);
    }
    // verify inside the transaction: a mismatch rolls everything back
    got = await summarise(trx);
    for (const e of expected as unknown as TableSummary[]) {
      const g = got.find((x) => x.name === e.name);
      if (!g || g.rows !== e.rows || g.checksum !== e.checksum) {
        throw new Error(`restore check failed for table ${e.name}: expected ${e.rows} rows ${e.checksum.slice(0, 12)}, got ${g?.rows} ${g?.checksum.slice(0, 12)}`);
      }
    }
  });
  return { tables: got };
}
