import { OperationRecord } from './client';
import { Version, compareVersions, formatVersion } from './versions';

/** A check's verdict: ok, or the first violation in words (which property, where, when). */
export type QuorumCheckResult = { ok: true } | { ok: false; message: string };

/**
 * "A read sees the latest write" (Gifford 1979; Dynamo §4.5 with W + R > N): every get that
 * began after a put to its key had completed returns that put's version or a newer one.
 * Operations that overlap in time are free to order either way; failed and unknown ones
 * constrain nothing. With W + R <= N, or a sloppy quorum, this may break.
 *
 * @example
 *   readsLatestWrite(cluster.operations()); // { ok: true } or { ok: false, message: 'reads the latest write broken: ...' }
 */
export function readsLatestWrite(operations: readonly OperationRecord[]): QuorumCheckResult {
  const stale = staleReads(operations);
  if (stale.length === 0) return { ok: true };
  const { read, latest } = stale[0];
  const readValue = read.version === null ? 'nothing (nil)' : `${JSON.stringify(read.value)} @ ${formatVersion(read.version)}`;
  return {
    ok: false,
    message:
      `reads the latest write broken: get(${JSON.stringify(read.key)}) by ${read.client} through ${read.via}, invoked at ${fmt(read.invokedMs)} ms, ` +
      `returned ${readValue}, but put(${JSON.stringify(latest.key)}, ${JSON.stringify(latest.value)}) by ${latest.client} had completed at ` +
      `${fmt(latest.completedMs ?? 0)} ms with version ${formatVersion(latest.version)}` + (stale.length > 1 ? ` (${stale.length} stale reads in all)` : ''),
  };
}

/** Every ok get that returned an older version than a put completed before it began, with that put. */
export function staleReads(operations: readonly OperationRecord[]): { read: OperationRecord; latest: OperationRecord }[] {
  const puts = operations.filter((o) => o.f === 'put' && o.status === 'ok' && o.completedMs !== null && o.version !== null);
  const out: { read: OperationRecord; latest: OperationRecord }[] = [];
  for (const read of operations) {
    if (read.f !== 'get' || read.status !== 'ok') continue;
    let latest: OperationRecord | null = null;
    for (const put of puts) {
      if (put.key !== read.key || !completedBefore(put, read)) continue;
      if (latest === null || compareVersions(put.version, latest.version) > 0) latest = put;
    }
    if (latest && compareVersions(read.version as Version | null, latest.version) < 0) out.push({ read, latest });
  }
  return out;
}

/** The put completed before the read was invoked (by history position when known, else strictly earlier time). */
function completedBefore(put: OperationRecord, read: OperationRecord): boolean {
  if (put.completedIndex !== undefined && read.invokedIndex !== undefined) return put.completedIndex < read.invokedIndex;
  return (put.completedMs as number) < read.invokedMs;
}

function fmt(ms: number): string {
  return (Math.round(ms * 1000) / 1000).toFixed(3);
}
