import { Client } from 'pg';
import { ConfigError } from '../../core';
import { ResourceManager } from './resource-manager';
import {
  COURSE_FORMAT_ID,
  Xid,
  XAER_DUPID,
  XAER_INVAL,
  XAER_NOTA,
  XAER_PROTO,
  XAER_RMFAIL,
  XA_OK,
  XA_RBDEADLOCK,
  XA_RBINTEGRITY,
  XA_RBROLLBACK,
  XA_RBTIMEOUT,
  parseXid,
  xidToString,
} from './xid';

/**
 * A real resource manager: PostgreSQL (through the `pg` package) behind the XA interface of
 * resource-manager.ts. PostgreSQL has no xa_* calls, but the SQL it has maps onto them
 * (PostgreSQL docs, "PREPARE TRANSACTION" and "pg_prepared_xacts"; this is what JDBC's
 * PGXAConnection does too):
 *
 *   xa_start      a connection of its own, BEGIN (a branch is a transaction of one session)
 *   update        UPDATE accounts SET balance = balance + $delta WHERE id = $account
 *   xa_end        nothing to send; the branch is idle
 *   xa_prepare    PREPARE TRANSACTION '<gid>'   (the transaction leaves the session, survives
 *                 a crash of the client AND of the server, and keeps its row locks)
 *   xa_commit     COMMIT PREPARED '<gid>'  (or COMMIT, one-phase)
 *   xa_rollback   ROLLBACK PREPARED '<gid>' (or ROLLBACK)
 *   xa_recover    SELECT gid FROM pg_prepared_xacts WHERE database = current_database()
 *
 * The GID is `xidToString(xid)`; recover() lists only this database's prepared transactions of
 * the course's format (another tool's GIDs are not xids of ours and are never touched).
 * The server needs max_prepared_transactions > 0 (`npm run pg:start` sets 20).
 *
 * This file does I/O and awaits; the TM logic it serves stays sans-IO (tm.ts, driver.ts).
 *
 * @example
 *   const bankA = new PostgresResourceManager('bank-a', { url: pgUrl('bank_a') });
 *   await bankA.open();
 *   const driver = new XaDriver({ name: 'tm', rms: [bankA, bankB], log: new FileTmLog('.pg/tm.log') });
 */

/** The course's default connection prefix: the server `npm run pg:start` runs (scripts/pg.js). */
export const PG_DEFAULT_URL_PREFIX = 'postgres://postgres@127.0.0.1:54329/';

/**
 * The URL of a course database: env CONSENSUS_LAB_PG (a URL prefix such as
 * 'postgres://user:pw@host:5432/') or the default, followed by the database name.
 *
 * @example
 *   pgUrl('bank_a'); // 'postgres://postgres@127.0.0.1:54329/bank_a'
 */
export function pgUrl(database: string): string {
  const prefix = process.env.CONSENSUS_LAB_PG || PG_DEFAULT_URL_PREFIX;
  return prefix.endsWith('/') ? prefix + database : `${prefix}/${database}`;
}

/**
 * Whether the course's PostgreSQL answers, and why not: tests and notebooks call this first and
 * skip (with this reason) when it does not.
 */
export async function pgReachable(database = 'bank_a', timeoutMs = 2000): Promise<{ ok: true } | { ok: false; reason: string }> {
  const url = pgUrl(database);
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query('SHOW max_prepared_transactions');
    if (Number(rows[0].max_prepared_transactions) === 0) return { ok: false, reason: `${url}: max_prepared_transactions is 0 (XA needs prepared transactions)` };
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `no PostgreSQL at ${url} (${(error as Error).message})` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined); // a dropped connection shows up as a failed query
  await client.connect();
  return client;
}

/** A GID as an SQL string literal (xids are made of [A-Za-z0-9._:-], but quote anyway). */
function literal(gid: string): string {
  return `'${gid.replace(/'/g, "''")}'`;
}

function sqlState(error: unknown): string {
  return (error as { code?: string })?.code ?? '';
}

/** The XA code of an error PostgreSQL raised inside a branch (SQLSTATE, PostgreSQL docs appendix A). */
function rollbackCodeOf(error: unknown): number {
  switch (sqlState(error)) {
    case '23514': // check_violation: balance >= 0
      return XA_RBINTEGRITY;
    case '55P03': // lock_not_available: lock_timeout
      return XA_RBTIMEOUT;
    case '40P01': // deadlock_detected (a deadlock PostgreSQL itself can see)
      return XA_RBDEADLOCK;
    default:
      return XA_RBROLLBACK;
  }
}

interface Session {
  client: Client;
  state: 'active' | 'idle' | 'rollback-only';
  code: number;
}

export interface PostgresResourceManagerOptions {
  /** The database's URL (see pgUrl). */
  url: string;
  /** lock_timeout of each branch (ms, default 1000): how long an update waits for a row lock. */
  lockTimeoutMs?: number;
}

/** PostgreSQL as an XA resource manager over the `accounts(id, balance)` table (see resetBank). */
export class PostgresResourceManager implements ResourceManager {
  private readonly sessions = new Map<string, Session>();
  private admin: Client | null = null;
  private readonly lockTimeoutMs: number;

  constructor(readonly name: string, private readonly options: PostgresResourceManagerOptions) {
    if (!options || typeof options.url !== 'string') throw new ConfigError('url', 'a PostgreSQL URL (see pgUrl)', options?.url);
    this.lockTimeoutMs = options.lockTimeoutMs ?? 1000;
    if (!Number.isInteger(this.lockTimeoutMs) || this.lockTimeoutMs < 1) throw new ConfigError('lockTimeoutMs', 'an integer >= 1', options.lockTimeoutMs);
  }

  async open(): Promise<void> {
    if (this.admin === null) this.admin = await connect(this.options.url);
  }

  /** Closes every connection: branches not yet prepared roll back; prepared ones stay. */
  async close(): Promise<void> {
    for (const session of this.sessions.values()) await session.client.end().catch(() => undefined);
    this.sessions.clear();
    await this.admin?.end().catch(() => undefined);
    this.admin = null;
  }

  async start(xid: Xid): Promise<number> {
    const gid = xidToString(xid);
    if (this.sessions.has(gid) || (await this.isPrepared(gid))) return XAER_DUPID;
    try {
      const client = await connect(this.options.url);
      await client.query('BEGIN');
      await client.query(`SET LOCAL lock_timeout = ${this.lockTimeoutMs}`);
      this.sessions.set(gid, { client, state: 'active', code: XA_OK });
      return XA_OK;
    } catch {
      return XAER_RMFAIL;
    }
  }

  async update(xid: Xid, account: string, delta: number): Promise<number> {
    const session = this.sessions.get(xidToString(xid));
    if (session === undefined) return (await this.isPrepared(xidToString(xid))) ? XAER_PROTO : XAER_NOTA;
    if (session.state === 'rollback-only') return session.code;
    if (session.state !== 'active') return XAER_PROTO;
    if (!Number.isInteger(delta)) return XAER_INVAL;
    try {
      const result = await session.client.query('UPDATE accounts SET balance = balance + $2 WHERE id = $1', [account, delta]);
      if (result.rowCount === 0) return await this.fail(session, XAER_INVAL);
      return XA_OK;
    } catch (error) {
      return this.fail(session, rollbackCodeOf(error));
    }
  }

  async end(xid: Xid): Promise<number> {
    const session = this.sessions.get(xidToString(xid));
    if (session === undefined) return (await this.isPrepared(xidToString(xid))) ? XAER_PROTO : XAER_NOTA;
    if (session.state === 'rollback-only') return session.code;
    if (session.state !== 'active') return XAER_PROTO;
    session.state = 'idle';
    return XA_OK;
  }

  async prepare(xid: Xid): Promise<number> {
    const gid = xidToString(xid);
    const session = this.sessions.get(gid);
    if (session === undefined) return (await this.isPrepared(gid)) ? XAER_PROTO : XAER_NOTA;
    if (session.state === 'rollback-only') return session.code;
    if (session.state !== 'idle') return XAER_PROTO;
    try {
      await session.client.query(`PREPARE TRANSACTION ${literal(gid)}`);
      return XA_OK;
    } catch (error) {
      return rollbackCodeOf(error); // PostgreSQL rolled the transaction back
    } finally {
      this.sessions.delete(gid);
      await session.client.end().catch(() => undefined);
    }
  }

  async commit(xid: Xid, onePhase: boolean): Promise<number> {
    const gid = xidToString(xid);
    const session = this.sessions.get(gid);
    if (session !== undefined) {
      if (session.state === 'rollback-only') return session.code;
      if (!onePhase || session.state !== 'idle') return XAER_PROTO;
      try {
        await session.client.query('COMMIT');
        return XA_OK;
      } catch (error) {
        return rollbackCodeOf(error);
      } finally {
        this.sessions.delete(gid);
        await session.client.end().catch(() => undefined);
      }
    }
    return this.finishPrepared(`COMMIT PREPARED ${literal(gid)}`);
  }

  async rollback(xid: Xid): Promise<number> {
    const gid = xidToString(xid);
    const session = this.sessions.get(gid);
    if (session !== undefined) {
      this.sessions.delete(gid);
      await session.client.query('ROLLBACK').catch(() => undefined);
      await session.client.end().catch(() => undefined);
      return XA_OK;
    }
    return this.finishPrepared(`ROLLBACK PREPARED ${literal(gid)}`);
  }

  async recover(): Promise<Xid[]> {
    const { rows } = await this.adminClient().query('SELECT gid FROM pg_prepared_xacts WHERE database = current_database() ORDER BY prepared, gid');
    return rows.map((r: { gid: string }) => parseXid(r.gid)).filter((x): x is Xid => x !== null && x.formatId === COURSE_FORMAT_ID);
  }

  private adminClient(): Client {
    if (this.admin === null) throw new ConfigError(`${this.name}`, 'open() before any XA call', 'not opened');
    return this.admin;
  }

  private async isPrepared(gid: string): Promise<boolean> {
    const { rows } = await this.adminClient().query('SELECT 1 FROM pg_prepared_xacts WHERE gid = $1 AND database = current_database()', [gid]);
    return rows.length > 0;
  }

  private async finishPrepared(sql: string): Promise<number> {
    try {
      await this.adminClient().query(sql);
      return XA_OK;
    } catch (error) {
      if (sqlState(error) === '42704') return XAER_NOTA; // undefined_object: no prepared transaction with that GID
      return XAER_RMFAIL;
    }
  }

  /** A failed statement: PostgreSQL aborted the transaction; roll it back, free the connection, answer `code` from now on. */
  private async fail(session: Session, code: number): Promise<number> {
    session.state = 'rollback-only';
    session.code = code;
    await session.client.query('ROLLBACK').catch(() => undefined);
    return code;
  }
}

/**
 * Resets a bank database for a demo or a test: rolls back every prepared transaction of the
 * course's format in it (left over from an earlier run), then recreates
 * `accounts(id text primary key, balance bigint check (balance >= 0))` with `balances`.
 */
export async function resetBank(url: string, balances: Record<string, number>): Promise<void> {
  const client = await connect(url);
  try {
    await rollbackCoursePrepared(client);
    await client.query('SET lock_timeout = 5000');
    await client.query('DROP TABLE IF EXISTS accounts');
    await client.query('CREATE TABLE accounts (id text PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0))');
    for (const [id, balance] of Object.entries(balances)) await client.query('INSERT INTO accounts VALUES ($1, $2)', [id, balance]);
  } finally {
    await client.end();
  }
}

/** Rolls back the course's prepared transactions in `url`'s database (cleanup); returns their GIDs. */
export async function rollbackCoursePreparedAt(url: string): Promise<string[]> {
  const client = await connect(url);
  try {
    return await rollbackCoursePrepared(client);
  } finally {
    await client.end();
  }
}

async function rollbackCoursePrepared(client: Client): Promise<string[]> {
  const { rows } = await client.query('SELECT gid FROM pg_prepared_xacts WHERE database = current_database()');
  const gids = rows.map((r: { gid: string }) => r.gid).filter((gid: string) => parseXid(gid)?.formatId === COURSE_FORMAT_ID);
  for (const gid of gids) await client.query(`ROLLBACK PREPARED ${literal(gid)}`).catch(() => undefined);
  return gids;
}

/** One prepared transaction of this database (pg_prepared_xacts), for a table. */
export interface PreparedRow {
  gid: string;
  transaction: string;
  owner: string;
  database: string;
}

/** The prepared transactions of `url`'s database. */
export async function preparedTransactions(url: string): Promise<PreparedRow[]> {
  return query<PreparedRow>(url, 'SELECT gid, transaction::text AS transaction, owner, database FROM pg_prepared_xacts WHERE database = current_database() ORDER BY gid');
}

/** One row of the accounts table, with the prepared transaction that has it locked (the row's xmax). */
export interface AccountRow {
  id: string;
  balance: number;
  /** The GID of the prepared transaction whose update locks the row ('' when none does). */
  lockedBy: string;
}

/**
 * The accounts and who locks them. PostgreSQL keeps a row lock in the row itself: the locking
 * transaction's id is the row version's xmax (PostgreSQL docs, "Explicit Locking", row-level
 * locks); joined with pg_prepared_xacts it names the prepared transaction holding the row.
 */
export async function accountRows(url: string): Promise<AccountRow[]> {
  const rows = await query<{ id: string; balance: string; locked_by: string | null }>(
    url,
    `SELECT a.id, a.balance::text AS balance, p.gid AS locked_by
       FROM accounts a LEFT JOIN pg_prepared_xacts p ON p.transaction::text = a.xmax::text AND p.database = current_database()
      ORDER BY a.id`,
  );
  return rows.map((r) => ({ id: r.id, balance: Number(r.balance), lockedBy: r.locked_by ?? '' }));
}

/** One row of pg_locks about the accounts table: held by a prepared transaction, or waited for. */
export interface LockRow {
  /** The prepared transaction holding it ('' for a session's lock). */
  preparedGid: string;
  /** The backend holding or waiting ('' for a prepared transaction: it has no process). */
  pid: string;
  locktype: string;
  relation: string;
  transactionid: string;
  mode: string;
  granted: boolean;
}

/**
 * The locks of pg_locks that tell the story of a blocked row: those of prepared transactions
 * (pid NULL: no session holds them any more), the locks not granted (someone waits), and the
 * tuple locks of waiters. A prepared transaction is found through its transactionid lock.
 */
export async function accountLocks(url: string): Promise<LockRow[]> {
  const rows = await query<{ prepared_gid: string | null; pid: number | null; locktype: string; relation: string | null; transactionid: string | null; mode: string; granted: boolean }>(
    url,
    `WITH px AS (
       SELECT p.gid, l.virtualtransaction AS vxid
         FROM pg_prepared_xacts p
         JOIN pg_locks l ON l.locktype = 'transactionid' AND l.transactionid = p.transaction AND l.pid IS NULL
        WHERE p.database = current_database())
     SELECT px.gid AS prepared_gid, l.pid, l.locktype, l.relation::regclass::text AS relation, l.transactionid::text AS transactionid, l.mode, l.granted
       FROM pg_locks l LEFT JOIN px ON px.vxid = l.virtualtransaction
      WHERE l.locktype IN ('relation', 'transactionid', 'tuple')
        AND (l.pid IS DISTINCT FROM pg_backend_pid())
        AND (px.gid IS NOT NULL OR NOT l.granted OR l.locktype = 'tuple')
        AND (l.locktype <> 'relation' OR l.relation::regclass::text IN ('accounts', 'accounts_pkey'))
      ORDER BY px.gid NULLS LAST, l.locktype, l.granted DESC`,
  );
  return rows.map((r) => ({
    preparedGid: r.prepared_gid ?? '',
    pid: r.pid === null ? '' : String(r.pid),
    locktype: r.locktype,
    relation: r.relation ?? '',
    transactionid: r.transactionid ?? '',
    mode: r.mode,
    granted: r.granted,
  }));
}

/**
 * Another transaction tries to update a row: BEGIN; SET LOCAL lock_timeout; UPDATE ...; and
 * reports whether it got the lock or gave up ('lock timeout', SQLSTATE 55P03). It always rolls
 * back (it only shows the waiting). `whileWaiting` runs after the UPDATE was sent (to read
 * pg_locks meanwhile).
 */
export async function tryUpdate(url: string, account: string, delta: number, lockTimeoutMs: number, whileWaiting?: () => Promise<void>): Promise<{ ok: boolean; message: string }> {
  const client = await connect(url);
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
    const update = client.query('UPDATE accounts SET balance = balance + $2 WHERE id = $1', [account, delta]).then(
      () => ({ ok: true, message: 'updated (got the row lock)' }),
      (error: unknown) => ({ ok: false, message: `${sqlState(error)} ${(error as Error).message}` }),
    );
    if (whileWaiting) await whileWaiting();
    return await update;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

async function query<R>(url: string, sql: string): Promise<R[]> {
  const client = await connect(url);
  try {
    return (await client.query(sql)).rows as R[];
  } finally {
    await client.end();
  }
}
