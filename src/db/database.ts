/**
 * One SQL dialect (PostgreSQL), two engines: PGlite in-process (default) or a PostgreSQL
 * server (DATABASE_URL). Both are exposed through the same Kysely instance and the same
 * `Db` wrapper, so repositories, migrations and tests never know which engine they run on.
 *
 * Type parsing is made identical on both engines: numeric -> string (exact money),
 * int8 -> number (ids stay far below 2^53), date -> 'YYYY-MM-DD' string, timestamptz -> Date.
 */
import fs from 'node:fs';
import crypto from 'node:crypto';
import {
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type TransactionSettings,
  type Transaction,
  sql,
} from 'kysely';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DB } from './schema.js';

const OID = { INT8: 20, NUMERIC: 1700, DATE: 1082 } as const;

const parsers = {
  [OID.INT8]: (v: string) => Number(v),
  [OID.NUMERIC]: (v: string) => v,
  [OID.DATE]: (v: string) => v,
};

pg.types.setTypeParser(OID.INT8, (v) => Number(v));
pg.types.setTypeParser(OID.DATE, (v) => v);

export type Engine = 'pglite' | 'postgres';

/** Simple FIFO mutex: PGlite has one connection, so Kysely connections take turns. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = this.tail;
    this.tail = prev.then(() => next);
    return prev.then(() => release);
  }
}

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pg: PGlite) {}
  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const res = await this.pg.query<R>(q.sql, q.parameters as unknown[]);
    const affected = res.affectedRows;
    return {
      rows: res.rows,
      numAffectedRows: affected !== undefined ? BigInt(affected) : undefined,
    };
  }
  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streamQuery is not supported on PGlite');
  }
}

class PGliteDriver implements Driver {
  private readonly mutex = new Mutex();
  private readonly conn: PGliteConnection;
  private releases = new WeakMap<DatabaseConnection, () => void>();
  constructor(private readonly pg: PGlite) {
    this.conn = new PGliteConnection(pg);
  }
  async init(): Promise<void> {
    await this.pg.waitReady;
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    // PGlite has a single connection: using `db` instead of `trx` inside a transaction would wait
    // forever. Fail loudly instead.
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const pending = this.mutex.lock();
    const release = await Promise.race([
      pending,
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => {
          timedOut = true;
          pending.then((r) => r()); // hand the lock on when it finally comes
          rej(new Error('PGlite connection wait exceeded 60 s (nested database use inside a transaction?)'));
        }, 60_000);
        timer.unref();
      }),
    ]).finally(() => clearTimeout(timer));
    if (timedOut) throw new Error('PGlite connection wait timed out');
    // one physical connection: wrap it so each lease has its own release handle
    const lease = Object.create(this.conn) as DatabaseConnection;
    this.releases.set(lease, release);
    return lease;
  }
  async beginTransaction(c: DatabaseConnection, s: TransactionSettings): Promise<void> {
    const iso = s.isolationLevel ? ` isolation level ${s.isolationLevel}` : '';
    await c.executeQuery(CompiledQuery.raw(`begin${iso}`));
  }
  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('rollback'));
  }
  async releaseConnection(c: DatabaseConnection): Promise<void> {
    const r = this.releases.get(c);
    this.releases.delete(c);
    r?.();
  }
  async destroy(): Promise<void> {
    /* the owner closes the PGlite instance */
  }
}

/**
 * Hot statements (the payment path) carry this marker: on PostgreSQL they run as named prepared
 * statements, parsed and planned once per connection instead of on every call. Only statements
 * whose text is fixed (parameters only, no generated lists) may carry it: every distinct text
 * stays prepared on each pooled connection for the connection's life. PGlite ignores it.
 */
export const PREPARED_MARK = '/*prepared*/';
export const PREPARED = sql.raw(` ${PREPARED_MARK}`);
const preparedNames = new Map<string, string>();
function preparedName(text: string): string {
  let n = preparedNames.get(text);
  if (!n) {
    n = 'vl_' + crypto.createHash('sha1').update(text).digest('hex').slice(0, 24);
    preparedNames.set(text, n);
  }
  return n;
}

class PgConnection implements DatabaseConnection {
  constructor(readonly client: pg.PoolClient) {}
  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const res = q.sql.includes(PREPARED_MARK)
      ? await this.client.query({ name: preparedName(q.sql), text: q.sql, values: q.parameters as unknown[] })
      : await this.client.query(q.sql, q.parameters as unknown[]);
    const cmd = res.command;
    return {
      rows: res.rows as R[],
      numAffectedRows:
        cmd === 'INSERT' || cmd === 'UPDATE' || cmd === 'DELETE' || cmd === 'MERGE'
          ? BigInt(res.rowCount ?? 0)
          : undefined,
    };
  }
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streamQuery not used');
  }
}

class PgDriver implements Driver {
  constructor(private readonly pool: pg.Pool) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return new PgConnection(await this.pool.connect());
  }
  async beginTransaction(c: DatabaseConnection, s: TransactionSettings): Promise<void> {
    const iso = s.isolationLevel ? ` isolation level ${s.isolationLevel}` : '';
    await c.executeQuery(CompiledQuery.raw(`begin${iso}`));
  }
  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('rollback'));
  }
  async releaseConnection(c: DatabaseConnection): Promise<void> {
    (c as PgConnection).client.release();
  }
  async destroy(): Promise<void> {
    await this.pool.end();
  }
}

function dialectFor(driver: Driver) {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => driver,
    createIntrospector: (db: Kysely<unknown>) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}

export interface Db {
  engine: Engine;
  kysely: Kysely<DB>;
  /**
   * Bulk-load rows into a table. PostgreSQL: COPY FROM STDIN; PGlite: COPY FROM a blob.
   * `rows` are arrays in `columns` order; null -> \N. Values must not contain tabs/newlines
   * unless escaped (done here).
   */
  copyInto(table: string, columns: string[], rows: Iterable<unknown[]>, opts?: CopyOptions): Promise<number>;
  /**
   * A transaction in which bulk COPY and ordinary queries share one connection, so the rows, the
   * bookkeeping that goes with them (status rows, audit) commit or roll back together. Use the
   * given `trx` and `copy` only (never `db.kysely`) inside `fn`.
   */
  copyTx<T>(fn: (trx: Transaction<DB>, copy: CopyFn) => Promise<T>): Promise<T>;
  /** Run a multi-statement SQL script (simple protocol), e.g. a migration file. */
  execScript(script: string): Promise<void>;
  close(): Promise<void>;
  /** The PGlite instance when embedded (for dumps, clones). */
  pglite?: PGlite;
  pool?: pg.Pool;
}

/**
 * Rows already encoded in COPY text format (tab-separated, `\N` for null, fields escaped as
 * {@link copyField} does, one `\n` per row), in chunks (strings or UTF-8 bytes, e.g. from
 * `CopyWriter`); `rows` is the row count. Hot bulk writers (billing runs) build the text directly
 * instead of an array per row.
 */
export interface CopyText {
  text: Array<string | Uint8Array>;
  rows: number;
}

/** COPY inside `copyTx`: same contract as `copyInto` (rows in `columns` order, or pre-encoded text; returns the count). */
export type CopyFn = (table: string, columns: string[], rows: Iterable<unknown[]> | CopyText) => Promise<number>;

function isCopyText(rows: Iterable<unknown[]> | CopyText): rows is CopyText {
  return Array.isArray((rows as CopyText).text) && typeof (rows as CopyText).rows === 'number';
}

export interface CopyOptions {
  /**
   * Trusted bulk load (seed, restore): skip foreign-key triggers with
   * session_replication_role = replica when the role may (superuser); otherwise a normal COPY.
   */
  trusted?: boolean;
}

/** A text in COPY text format: \\ \t \n \r escaped. */
export function copyText(s: string): string {
  // most values need no escaping: one test instead of four replaces
  if (!/[\\\t\n\r]/.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** One field in COPY text format: null -> \N, dates ISO, objects as JSON, text escaped ({@link copyText}). */
export function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (value instanceof Date) return value.toISOString();
  return copyText(typeof value === 'object' ? JSON.stringify(value) : String(value));
}

function* copyLines(rows: Iterable<unknown[]>, counter: { n: number }): Generator<string> {
  let buf = '';
  for (const r of rows) {
    buf += r.map(copyField).join('\t') + '\n';
    counter.n++;
    if (buf.length > 1 << 20) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

const identRe = /^[a-z_][a-z0-9_]*$/;
function checkIdent(...names: string[]) {
  for (const n of names) if (!identRe.test(n)) throw new Error(`bad identifier ${n}`);
}

export async function openPglite(dataDir: string | undefined, opts: { loadDataDir?: Blob } = {}): Promise<Db> {
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const pgl = await PGlite.create({
    dataDir,
    parsers,
    loadDataDir: opts.loadDataDir,
    relaxedDurability: false,
  });
  return wrapPglite(pgl);
}

export function wrapPglite(pgl: PGlite): Db {
  const driver = new PGliteDriver(pgl);
  const kysely = new Kysely<DB>({ dialect: dialectFor(driver) });
  return {
    engine: 'pglite',
    kysely,
    pglite: pgl,
    async copyInto(table, columns, rows) {
      checkIdent(table, ...columns);
      const counter = { n: 0 };
      const parts = [...copyLines(rows, counter)];
      if (counter.n === 0) return 0;
      // go through the driver's lock so a COPY never interleaves with a transaction
      const conn = await driver.acquireConnection();
      try {
        await pgl.query(`COPY ${table} (${columns.join(',')}) FROM '/dev/blob'`, [], {
          blob: new Blob(parts),
        });
      } finally {
        await driver.releaseConnection(conn);
      }
      return counter.n;
    },
    copyTx(fn) {
      // the transaction holds the driver's lock; COPY goes straight to the same session
      return kysely.transaction().execute((trx) =>
        fn(trx, async (table, columns, rows) => {
          checkIdent(table, ...columns);
          const counter = { n: 0 };
          const parts = isCopyText(rows) ? ((counter.n = rows.rows), rows.text) : [...copyLines(rows, counter)];
          if (counter.n === 0) return 0;
          await pgl.query(`COPY ${table} (${columns.join(',')}) FROM '/dev/blob'`, [], { blob: new Blob(parts) });
          return counter.n;
        }),
      );
    },
    async execScript(script) {
      const conn = await driver.acquireConnection();
      try {
        await pgl.exec(script);
      } finally {
        await driver.releaseConnection(conn);
      }
    },
    async close() {
      await kysely.destroy();
      if (!pgl.closed) await pgl.close();
    },
  };
}

export function openPostgres(url: string, poolSize = 10): Db {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  pool.on('error', () => {
    /* idle client errors are surfaced on next use */
  });
  const kysely = new Kysely<DB>({ dialect: dialectFor(new PgDriver(pool)) });
  return {
    engine: 'postgres',
    kysely,
    pool,
    async copyInto(table, columns, rows, opts = {}) {
      checkIdent(table, ...columns);
      const client = await pool.connect();
      const counter = { n: 0 };
      let replica = false;
      try {
        if (opts.trusted) {
          replica = await client.query('set session_replication_role = replica').then(() => true, () => false);
        }
        const stream = client.query(copyFrom(`COPY ${table} (${columns.join(',')}) FROM STDIN`));
        await pipeline(Readable.from(copyLines(rows, counter)), stream);
      } finally {
        if (replica) await client.query('reset session_replication_role').catch(() => {});
        client.release();
      }
      return counter.n;
    },
    async copyTx(fn) {
      const client = await pool.connect();
      let failure: Error | undefined;
      // a Kysely bound to this one client (release is the caller's), so queries and COPY share the transaction
      const lease = new Proxy(client, {
        get(t, p) {
          if (p === 'release') return () => {};
          const v = Reflect.get(t, p);
          return typeof v === 'function' ? v.bind(t) : v;
        },
      });
      const single = { connect: async () => lease, end: async () => {} } as unknown as pg.Pool;
      const k = new Kysely<DB>({ dialect: dialectFor(new PgDriver(single)) });
      try {
        return await k.transaction().execute((trx) =>
          fn(trx, async (table, columns, rows) => {
            checkIdent(table, ...columns);
            const counter = { n: 0 };
            const stream = client.query(copyFrom(`COPY ${table} (${columns.join(',')}) FROM STDIN`));
            const source = isCopyText(rows) ? ((counter.n = rows.rows), rows.text) : copyLines(rows, counter);
            await pipeline(Readable.from(source), stream);
            return counter.n;
          }),
        );
      } catch (e) {
        // a broken connection is not returned to the pool
        const code = String((e as { code?: unknown })?.code ?? '');
        if (/^(ECONNRESET|EPIPE|ETIMEDOUT|57P0[1-3]|08\d{3})$/.test(code) || /Connection terminated|not queryable/i.test(String((e as Error)?.message))) failure = e as Error;
        throw e;
      } finally {
        client.release(failure);
      }
    },
    async execScript(script) {
      const client = await pool.connect();
      try {
        await client.query(script);
      } finally {
        client.release();
      }
    },
    async close() {
      await kysely.destroy();
    },
  };
}

export async function openDb(env: { databaseUrl?: string; dataDir?: string; dbPoolSize?: number }): Promise<Db> {
  if (env.databaseUrl) return openPostgres(env.databaseUrl, env.dbPoolSize ?? 10);
  return openPglite(env.dataDir);
}

export { sql };
