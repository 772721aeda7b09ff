import { ConfigError } from '../../core';

/**
 * The vocabulary of X/Open XA (The Open Group, "Distributed Transaction Processing: The XA
 * Specification", 1991; 分布式事务处理模型, the DTP model): transaction branch identifiers and
 * the return codes of the xa_* calls, with the same numbers as the C header `xa.h`, so that a
 * learner who reads a real TM's log (Narayana, Atomikos, a database's error text) sees the
 * same codes.
 */

/**
 * A transaction branch identifier (XA §4.2, `struct xid_t`): `formatId` names the TM's format,
 * `gtrid` the global transaction, `bqual` the branch (one per resource manager). Two branches
 * of one global transaction share formatId and gtrid.
 */
export interface Xid {
  formatId: number;
  gtrid: string;
  bqual: string;
}

/** The course's XA format id ("CL" in ASCII): xids of any other format belong to someone else. */
export const COURSE_FORMAT_ID = 0x434c;

/** XA return codes (xa.h). Non-negative: success or rollback; negative: an error (XAER_*). */
export const XA_OK = 0;
/** The branch was read-only: prepared and already forgotten (no commit or rollback needed). */
export const XA_RDONLY = 3;
/** The RM rolled the branch back for an unspecified reason. */
export const XA_RBROLLBACK = 100;
/** The RM rolled the branch back to end a deadlock. */
export const XA_RBDEADLOCK = 102;
/** The RM rolled the branch back: the work would break an integrity rule (here: a balance below zero). */
export const XA_RBINTEGRITY = 103;
/** The RM rolled the branch back because it took too long (a lock wait or the branch timeout). */
export const XA_RBTIMEOUT = 106;
/** The RM does not know this xid (never started, or already committed or rolled back and forgotten). */
export const XAER_NOTA = -4;
/** Invalid arguments. */
export const XAER_INVAL = -5;
/** The call came in the wrong state (XA §6, the state tables), e.g. xa_prepare before xa_end. */
export const XAER_PROTO = -6;
/** The RM is unavailable (crashed, unreachable, connection lost). */
export const XAER_RMFAIL = -7;
/** xa_start of an xid the RM already knows. */
export const XAER_DUPID = -8;

const codeNames: Record<number, string> = {
  [XA_OK]: 'XA_OK',
  [XA_RDONLY]: 'XA_RDONLY',
  [XA_RBROLLBACK]: 'XA_RBROLLBACK',
  [XA_RBDEADLOCK]: 'XA_RBDEADLOCK',
  [XA_RBINTEGRITY]: 'XA_RBINTEGRITY',
  [XA_RBTIMEOUT]: 'XA_RBTIMEOUT',
  [XAER_NOTA]: 'XAER_NOTA',
  [XAER_INVAL]: 'XAER_INVAL',
  [XAER_PROTO]: 'XAER_PROTO',
  [XAER_RMFAIL]: 'XAER_RMFAIL',
  [XAER_DUPID]: 'XAER_DUPID',
};

/** The name of an XA return code, e.g. `xaCodeName(-6)` is 'XAER_PROTO'. */
export function xaCodeName(code: number): string {
  return codeNames[code] ?? `xa code ${code}`;
}

/** True for XA_RB*: the RM has rolled the branch back (XA §5: "the branch has been rolled back"). */
export function isRollbackCode(code: number): boolean {
  return code >= 100 && code <= 107;
}

/**
 * An xid as one string, used as the key of a branch everywhere and as PostgreSQL's GID
 * (`PREPARE TRANSACTION 'gid'`, at most 200 bytes): `xa:<formatId>:<gtrid>:<bqual>`. gtrid and
 * bqual must not contain ':' (checked by `makeXid`), so the form parses back unambiguously.
 *
 * @example
 *   xidToString({ formatId: 0x434c, gtrid: 'tm.t7', bqual: 'bank-a' }); // 'xa:17228:tm.t7:bank-a'
 */
export function xidToString(xid: Xid): string {
  return `xa:${xid.formatId}:${xid.gtrid}:${xid.bqual}`;
}

/** The xid of a string made by xidToString, or null for any other string (another TM's GID). */
export function parseXid(text: string): Xid | null {
  const match = /^xa:(\d+):([^:]+):([^:]+)$/.exec(text);
  if (!match) return null;
  return { formatId: Number(match[1]), gtrid: match[2], bqual: match[3] };
}

/**
 * Builds a checked xid. The course's TMs name the global transaction `<tm>.<transfer id>` and
 * the branch after the store, so a TM can tell its own xids from another TM's.
 *
 * @example
 *   makeXid('tm.t0', 'bank-a'); // { formatId: 17228, gtrid: 'tm.t0', bqual: 'bank-a' }
 */
export function makeXid(gtrid: string, bqual: string, formatId = COURSE_FORMAT_ID): Xid {
  for (const [field, value] of [['gtrid', gtrid], ['bqual', bqual]] as const) {
    if (typeof value !== 'string' || value === '' || value.length > 64 || !/^[A-Za-z0-9._-]+$/.test(value)) {
      throw new ConfigError(field, '1-64 characters among letters, digits, ".", "_" and "-"', value);
    }
  }
  if (!Number.isInteger(formatId) || formatId < 0) throw new ConfigError('formatId', 'an integer >= 0', formatId);
  return { formatId, gtrid, bqual };
}

/** True when both name the same branch. */
export function sameXid(a: Xid, b: Xid): boolean {
  return a.formatId === b.formatId && a.gtrid === b.gtrid && a.bqual === b.bqual;
}

/** The gtrid the course's TM named `tm` gives a transfer: `<tm>.<transfer id>`. */
export function gtridOf(tm: string, transferId: string): string {
  return `${tm}.${transferId}`;
}

/** True when `xid` was made by the TM named `tm` (the course's format, gtrid `<tm>.*`). */
export function isOwnXid(xid: Xid, tm: string): boolean {
  return xid.formatId === COURSE_FORMAT_ID && xid.gtrid.startsWith(`${tm}.`);
}
