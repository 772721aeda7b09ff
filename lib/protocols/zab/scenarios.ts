import { ZabCheckResult, ZabProperty, zabElectionTerminates } from '../../checkers/zab';
import { AnnotateEvent, NodeId } from '../../core';
import { ZabClient } from './client';
import { ZabCluster, ZabClusterOptions, zabCluster } from './cluster';
import { ZabLogView, zabLogViews } from './grid';
import { Zxid, formatZxid } from './messages';

/**
 * Scripted ZAB scenarios for the notebook and the tests: each drives an ensemble through the
 * exact interleaving a point of the paper needs (crashes, one-way cuts, restarts), then heals,
 * restarts everyone and lets recovery finish, and returns the run with ZAB's verdicts. The same
 * script shows a violation with a broken rule and none with the reference rules (pass `rules`
 * in the options). Writes are appends of a label to the key 'log', so the final value reads as
 * the order of delivery. Same seed, same trace.
 */

/** What a scenario returns. */
export interface ZabScenarioResult<F> {
  name: string;
  seed: number | string;
  description: string;
  cluster: ZabCluster;
  /** ZAB's six safety properties (lib/checkers/zab.ts), first violation. */
  safety: ZabCheckResult;
  report: Record<ZabProperty, ZabCheckResult>;
  /** After recovery: an epoch was established, and every server delivered every transaction any server delivered. */
  recovery: ZabCheckResult;
  facts: F;
  /** Every server's history after each step, for log grids. */
  stages: ZabStage[];
  /** Steps the script could not make happen, in order. */
  notes: string[];
  summary: string;
}

/** The histories after one step of a scripted scenario. */
export interface ZabStage {
  label: string;
  atMs: number;
  logs: ZabLogView[];
}

/** Quick links, and clients that never retry on their own: the script decides where each request goes. */
const SCRIPTED: Partial<ZabClusterOptions> = {
  network: { latency: { kind: 'uniform', minMs: 1, maxMs: 2 } },
  clientOptions: { retryMs: 100_000 },
};

function ensemble(seed: number | string, servers: number, options: Partial<ZabClusterOptions>): ZabCluster {
  return zabCluster({ ...SCRIPTED, ...options, clientOptions: { ...SCRIPTED.clientOptions, ...options.clientOptions }, seed, servers, clients: 2 });
}

/** Every live server is in BROADCAST under one established leader. */
function settled(c: ZabCluster): boolean {
  const leader = c.leader();
  if (leader === null) return false;
  return c.servers.every((id) => {
    const n = c.node(id);
    return n === null || (n.phase === 'BROADCAST' && (id === leader || n.state.leader === leader));
  });
}

function settle(c: ZabCluster, notes: string[], what: string, budgetMs = 2000): NodeId | null {
  if (!c.runUntil(() => settled(c), c.sim.now() + budgetMs)) notes.push(`${what}: no established leader with every live server following by ${Math.round(c.sim.now())} ms`);
  return c.leader();
}

/** Client `client` appends `label` to 'log' at `server`; runs until it completes (or `budgetMs` passes, unless `wait` is false). */
function write(c: ZabCluster, client: NodeId, label: string, server: NodeId, notes: string[], wait = true, budgetMs = 1000): void {
  const before = (c.sim.node<ZabClient>(client) as ZabClient).state.completed;
  c.submit(client, { op: 'append', key: 'log', value: label }, server);
  if (!wait) return;
  if (!c.runUntil(() => (c.sim.node<ZabClient>(client)?.state.completed ?? 0) > before, c.sim.now() + budgetMs)) notes.push(`write ${label} through ${server} did not complete`);
}

/** The zxid of the transaction labelled `label` in `id`'s history (null if it has none). */
function zxidOf(c: ZabCluster, id: NodeId, label: string): Zxid | null {
  const t = c.node(id)?.state.history.find((x) => typeof x.value !== 'string' && x.value.value === label);
  return t ? t.zxid : null;
}

function delivered(c: ZabCluster, id: NodeId, label: string): boolean {
  const n = c.node(id);
  if (!n) return false;
  return n.state.history.slice(0, n.state.committed).some((x) => typeof x.value !== 'string' && x.value.value === label);
}

function stage(c: ZabCluster, stages: ZabStage[], label: string): void {
  stages.push({ label, atMs: c.sim.now(), logs: zabLogViews(c) });
}

function annotations(c: ZabCluster, text: string, sinceMs = 0): AnnotateEvent[] {
  return c.sim.trace.events.filter((e): e is AnnotateEvent => e.kind === 'annotate' && e.text === text && e.timeMs >= sinceMs);
}

/** Heals, restarts every crashed server, and lets recovery finish. */
function recover(c: ZabCluster, notes: string[], budgetMs = 3000): void {
  c.sim.heal();
  for (const id of c.servers) if (!c.sim.isUp(id)) c.sim.restart(id);
  if (!c.runUntil(() => settled(c) && c.caughtUp(), c.sim.now() + budgetMs)) notes.push(`recovery: not every server caught up by ${Math.round(c.sim.now())} ms`);
}

/** `election`: the window [from, to] (virtual ms) in which the election the scenario is about must establish an epoch. */
function finish<F>(name: string, seed: number | string, description: string, c: ZabCluster, facts: F, stages: ZabStage[], notes: string[], election: [number, number]): ZabScenarioResult<F> {
  const elected = zabElectionTerminates(c.sim.trace.events, election[1], election[0]);
  const everywhere = c.deliveredEverywhere();
  return {
    name,
    seed,
    description,
    cluster: c,
    safety: c.safety(),
    report: c.safetyReport(),
    recovery: !elected.ok ? elected : everywhere,
    facts,
    stages,
    notes,
    summary: c.summary(),
  };
}

/** The final value of 'log' on a server: the order its appends were delivered in. */
function logValue(c: ZabCluster, id: NodeId): string {
  return c.node(id)?.state.store.data.log ?? '';
}

// ---------------------------------------------------------------------------------------------

/** The facts of `leaderCrashAfterProposal`. */
export interface ProposalSurvivesFacts {
  /** The old leader, the write it proposed and the zxid, the leader of the next epoch. */
  oldLeader: NodeId;
  proposal: { label: string; zxid: Zxid | null };
  newLeader: NodeId | null;
  /** Who held the proposal when the old leader crashed (logged, not committed anywhere). */
  heldBy: NodeId[];
  /** How the new leader synchronized each follower: follower -> 'DIFF [1, 2)', ... */
  syncs: Record<NodeId, string>;
  /** Servers that finally delivered the proposal, and the final 'log' value (the delivery order). */
  deliveredBy: NodeId[];
  finalLog: string;
}

/**
 * The leader crashes after sending a proposal to its followers but before committing it (Zab
 * §IV-B: "a proposal that a quorum may have accepted must survive"). Five servers; n5 leads
 * epoch 1 and commits 'A' everywhere. Then n5's link to n1 is cut and the followers' ACKs are
 * cut: n5 proposes 'W', which n2, n3 and n4 log (and acknowledge, in vain); n5 crashes. n4 wins
 * epoch 2 (the highest zxid, then the highest id), brings n1 up to date with a DIFF carrying
 * 'W', and commits W with the new epoch. A write 'Z' follows: every server delivers A, W, Z.
 * (With `brokenZabRules.diffSkipsUncommitted`, n1 never gets W and delivers Z in its place:
 * Agreement breaks.)
 *
 * @example
 *   const r = leaderCrashAfterProposal(1);
 *   r.facts.finalLog;            // '[A][W][Z]'
 *   r.safety.ok && r.recovery.ok; // true
 */
export function leaderCrashAfterProposal(seed: number | string = 1, options: Partial<ZabClusterOptions> = {}): ZabScenarioResult<ProposalSurvivesFacts> {
  const c = ensemble(seed, 5, options);
  const notes: string[] = [];
  const stages: ZabStage[] = [];
  const old = settle(c, notes, 'first election') ?? 'n5';
  write(c, 'c2', '[A]', old, notes);
  c.runUntil(() => c.caughtUp(), c.sim.now() + 200);
  const others = c.servers.filter((id) => id !== old);
  const [lacking, ...holders] = others; // n1 lacks W, n2..n4 log it
  c.sim.cut(old, lacking);
  for (const h of holders) c.sim.cut(h, old);
  write(c, 'c1', '[W]', old, notes, false);
  if (!c.runUntil(() => holders.every((h) => zxidOf(c, h, '[W]') !== null), c.sim.now() + 200)) notes.push('W did not reach the followers');
  const proposal = { label: '[W]', zxid: zxidOf(c, old, '[W]') };
  const heldBy = c.servers.filter((id) => zxidOf(c, id, '[W]') !== null);
  stage(c, stages, `${old} proposed W; ${holders.join(', ')} logged it; no ACK came back`);
  c.sim.crash(old);
  c.sim.heal();
  const crashedAt = c.sim.now();
  const newLeader = settle(c, notes, 'election after the crash');
  stage(c, stages, `${old} crashed; ${newLeader ?? 'nobody'} leads epoch ${newLeader ? c.node(newLeader)?.state.currentEpoch : '?'}`);
  if (newLeader) write(c, 'c2', '[Z]', newLeader, notes);
  recover(c, notes);
  stage(c, stages, `${old} restarted; everyone caught up`);
  const syncs: Record<NodeId, string> = {};
  for (const e of annotations(c, 'sync', crashedAt)) if (e.node === newLeader) syncs[(e.data as { follower: string }).follower] ??= (e.data as { text: string }).text;
  const facts: ProposalSurvivesFacts = {
    oldLeader: old,
    proposal,
    newLeader,
    heldBy,
    syncs,
    deliveredBy: c.servers.filter((id) => delivered(c, id, '[W]')),
    finalLog: logValue(c, lacking),
  };
  return finish('leaderCrashAfterProposal', seed, `${old} crashes after proposing W ${proposal.zxid ? formatZxid(proposal.zxid) : ''} to ${holders.join(', ')}, before any ACK reached it.`, c, facts, stages, notes, [crashedAt, crashedAt + 1500]);
}

/** The facts of `leaderCrashAfterPartialCommit`. */
export interface PartialCommitFacts {
  oldLeader: NodeId;
  proposal: { label: string; zxid: Zxid | null };
  /** Who had delivered W when the old leader crashed (it, and the follower whose COMMIT arrived). */
  deliveredBeforeCrash: NodeId[];
  /** Who logged W, and the follower that never got it. */
  loggedBy: NodeId[];
  lacking: NodeId;
  newLeader: NodeId | null;
  deliveredBy: NodeId[];
  finalLog: string;
}

/**
 * The leader crashes after committing locally and sending only some COMMITs (Zab §IV-C: "the
 * leader commits itself first"). Five servers; n5 leads. n4 is cut off from n5; n5 proposes 'W'
 * to n1, n2, n3, whose ACKs make a quorum. Just before the ACKs arrive, n5's links to n2 and n3
 * are cut, so only n1 receives the COMMIT: n5 and n1 delivered W, n2 and n3 only logged it, n4
 * never saw it. n5 crashes. Fast leader election must pick a server holding W (n3: the highest
 * zxid, then id), and W is delivered everywhere. With `brokenZabRules.ignoreZxid`, n4 (the
 * highest id) is preferred: ZooKeeper's "follower is ahead" guard then makes it give up, again
 * and again (Election termination); without the guard (`guardFollowerAhead: false`) n4 leads,
 * truncates W, and n1 takes back a delivered transaction (Agreement).
 *
 * @example
 *   leaderCrashAfterPartialCommit(1).facts.deliveredBy; // ['n1', 'n2', 'n3', 'n4', 'n5']
 */
export function leaderCrashAfterPartialCommit(seed: number | string = 1, options: Partial<ZabClusterOptions> = {}): ZabScenarioResult<PartialCommitFacts> {
  const c = ensemble(seed, 5, options);
  const notes: string[] = [];
  const stages: ZabStage[] = [];
  const old = settle(c, notes, 'first election') ?? 'n5';
  write(c, 'c2', '[A]', old, notes);
  c.runUntil(() => c.caughtUp(), c.sim.now() + 200);
  const others = c.servers.filter((id) => id !== old);
  const lacking = others[others.length - 1]; // the highest id: a vote rule without the zxid prefers it
  const [committer, ...loggers] = others.slice(0, -1);
  c.sim.cut(old, lacking);
  write(c, 'c1', '[W]', old, notes, false);
  if (!c.runUntil(() => [committer, ...loggers].every((h) => zxidOf(c, h, '[W]') !== null), c.sim.now() + 200)) notes.push('W did not reach the followers');
  for (const l of loggers) c.sim.cut(old, l); // their COMMITs will be lost
  if (!c.runUntil(() => delivered(c, committer, '[W]'), c.sim.now() + 200)) notes.push(`${committer} did not receive the COMMIT of W`);
  const deliveredBeforeCrash = c.servers.filter((id) => delivered(c, id, '[W]'));
  const loggedBy = c.servers.filter((id) => zxidOf(c, id, '[W]') !== null);
  stage(c, stages, `${old} committed W; only ${committer}'s COMMIT arrived; ${lacking} never saw W`);
  c.sim.crash(old);
  c.sim.heal();
  const crashedAt = c.sim.now();
  const newLeader = settle(c, notes, 'election after the crash');
  stage(c, stages, `${old} crashed; ${newLeader ?? 'nobody'} leads`);
  if (newLeader) write(c, 'c2', '[Z]', newLeader, notes);
  recover(c, notes);
  stage(c, stages, `${old} restarted; everyone caught up`);
  const facts: PartialCommitFacts = {
    oldLeader: old,
    proposal: { label: '[W]', zxid: zxidOf(c, old, '[W]') },
    deliveredBeforeCrash,
    loggedBy,
    lacking,
    newLeader,
    deliveredBy: c.servers.filter((id) => delivered(c, id, '[W]')),
    finalLog: logValue(c, committer),
  };
  return finish('leaderCrashAfterPartialCommit', seed, `${old} delivers W and crashes with only ${committer}'s COMMIT delivered; ${lacking} lacks W.`, c, facts, stages, notes, [crashedAt, crashedAt + 1500]);
}

/** The facts of `syncModesScenario`: the sync each returning server got, and the histories after. */
export interface SyncModesFacts {
  /** n1: down for many writes (SNAP); n5: the old leader with a proposal nobody else has (TRUNC); n2: down for two writes (DIFF). */
  farBehind: { server: NodeId; sync: string | null };
  extraUncommitted: { server: NodeId; extra: Zxid | null; sync: string | null };
  slightlyBehind: { server: NodeId; sync: string | null };
  /** Every server's final 'log' value (equal, and without the dropped proposal). */
  finalLogs: Record<NodeId, string>;
  committedLogSize: number;
}

/**
 * DIFF, TRUNC and SNAP (Medeiros §3.2; ZooKeeper's LearnerHandler.syncFollower), each on a
 * server that returns after a crash. Five servers, the leader keeps `committedLogSize` = 5
 * committed transactions for DIFFs.
 * 1. n5 leads epoch 1 and commits 'a1'. n1 crashes (it will miss many writes).
 * 2. n5, cut off from everyone, proposes 'P' and crashes: only n5 has P.
 * 3. n2, n3, n4 elect n4 (epoch 2), which commits 'b1', 'b2'.
 * 4. n5 restarts: its last zxid, P's, is not in n4's history: TRUNC to a1, then b1, b2.
 * 5. n2 crashes; 'c1', 'c2' are committed; n2 restarts: DIFF with c1, c2.
 * 6. 'c3'..'c7' are committed; n1 restarts: what it lacks is older than the 5 kept: SNAP.
 * P is never delivered anywhere. (With `brokenZabRules.diffInsteadOfTrunc`, n5 keeps P and
 * delivers it: Agreement and Total order break.)
 *
 * @example
 *   const r = syncModesScenario(1);
 *   [r.facts.farBehind.sync, r.facts.extraUncommitted.sync, r.facts.slightlyBehind.sync];
 *   // ['SNAP', 'TRUNC to (1,1) then [1, 3)', 'DIFF [3, 5)']
 */
export function syncModesScenario(seed: number | string = 1, options: Partial<ZabClusterOptions> = {}): ZabScenarioResult<SyncModesFacts> {
  const committedLogSize = options.committedLogSize ?? 5;
  const c = ensemble(seed, 5, { ...options, committedLogSize });
  const notes: string[] = [];
  const stages: ZabStage[] = [];
  const syncOf = (follower: NodeId, sinceMs: number) => {
    const e = annotations(c, 'sync', sinceMs).find((x) => (x.data as { follower: string }).follower === follower);
    return e ? (e.data as { text: string }).text : null;
  };
  const first = settle(c, notes, 'first election') ?? 'n5';
  const [far, slight, , next] = c.servers.filter((id) => id !== first); // n1, n2, n3, n4
  write(c, 'c2', '[a1]', first, notes);
  c.runUntil(() => c.caughtUp(), c.sim.now() + 200);
  c.sim.crash(far);
  for (const id of c.servers) if (id !== first) c.sim.cut(first, id);
  write(c, 'c1', '[P]', first, notes, false);
  c.runUntil(() => zxidOf(c, first, '[P]') !== null, c.sim.now() + 100);
  const extra = zxidOf(c, first, '[P]');
  stage(c, stages, `1-2. ${far} crashed; ${first} logged P alone`);
  c.sim.crash(first);
  c.sim.heal();
  const leader = settle(c, notes, 'epoch 2') ?? next;
  write(c, 'c2', '[b1]', leader, notes);
  write(c, 'c2', '[b2]', leader, notes);
  stage(c, stages, `3. ${leader} leads epoch 2 and commits b1, b2`);
  let t = c.sim.now();
  c.sim.restart(first);
  settle(c, notes, `${first} rejoins`);
  const truncSync = syncOf(first, t);
  stage(c, stages, `4. ${first} restarts: ${truncSync}`);
  c.sim.crash(slight);
  write(c, 'c2', '[c1]', leader, notes);
  write(c, 'c2', '[c2]', leader, notes);
  t = c.sim.now();
  c.sim.restart(slight);
  settle(c, notes, `${slight} rejoins`);
  const diffSync = syncOf(slight, t);
  stage(c, stages, `5. ${slight} missed c1, c2: ${diffSync}`);
  for (let i = 3; i <= 7; i++) write(c, 'c2', `[c${i}]`, leader, notes);
  t = c.sim.now();
  c.sim.restart(far);
  settle(c, notes, `${far} rejoins`);
  const snapSync = syncOf(far, t);
  recover(c, notes);
  stage(c, stages, `6. ${far} missed more than ${committedLogSize} committed transactions: ${snapSync}`);
  const finalLogs: Record<NodeId, string> = {};
  for (const id of c.servers) finalLogs[id] = logValue(c, id);
  const facts: SyncModesFacts = {
    farBehind: { server: far, sync: snapSync },
    extraUncommitted: { server: first, extra, sync: truncSync },
    slightlyBehind: { server: slight, sync: diffSync },
    finalLogs,
    committedLogSize,
  };
  return finish('syncModes', seed, 'Three servers return: one far behind (SNAP), the old leader with a proposal of its own (TRUNC), one slightly behind (DIFF).', c, facts, stages, notes, [0, c.sim.now()]);
}

/** The facts of `staleLocalRead`. */
export interface StaleReadFacts {
  /** The follower behind a slow link, what a local read there returned, and what a sync read there returned. */
  follower: NodeId;
  written: string;
  localRead: string | null;
  syncRead: string | null;
  /** The history (writes and sync reads) is linearizable; with the local read it is not. */
  linearizable: boolean | 'unknown';
  linearizableWithLocalReads: boolean | 'unknown';
}

/**
 * Local reads may be stale; sync reads are not (ZooKeeper's guarantees: writes linearizable,
 * reads sequentially consistent unless preceded by sync()). Three servers; the link from the
 * leader to n1 takes 100 ms. c1 writes x = 'new' through the leader: n2's ACK makes a quorum,
 * the write completes. c2 then reads x at n1 locally: n1 has not received the COMMIT yet, so it
 * answers '' although the write completed before the read began (not linearizable). c2 reads
 * again at n1 with sync: the SYNC goes through the leader, whose SYNCREPLY travels behind the
 * COMMIT on the same FIFO link, so n1 answers 'new'.
 *
 * @example
 *   const r = staleLocalRead(1);
 *   [r.facts.localRead, r.facts.syncRead]; // ['', 'new']
 *   r.facts.linearizableWithLocalReads;    // false
 */
export function staleLocalRead(seed: number | string = 1, options: Partial<ZabClusterOptions> = {}): ZabScenarioResult<StaleReadFacts> {
  // Timeouts well above the slow link's 200 ms round trip, so that n1 keeps following.
  const c = ensemble(seed, 3, { followerTimeoutMs: 500, initLimitMs: 800, retransmitMs: 300, ...options });
  const notes: string[] = [];
  const leader = settle(c, notes, 'first election') ?? 'n3';
  const follower = c.servers.find((id) => id !== leader) as NodeId;
  c.sim.configureLink(leader, follower, { latency: { kind: 'constant', ms: 100 } });
  c.run(c.sim.now() + 120); // earlier pings drain through the slow link
  const done = (client: NodeId) => c.sim.node<ZabClient>(client)?.state.completed ?? 0;
  const lastRead = () => {
    const h = c.sim.history.filter((e) => e.process === 'c2' && e.type === 'ok').pop();
    return h ? ((h.value as { value?: string }).value ?? null) : null;
  };
  const w = done('c1');
  c.submit('c1', { op: 'put', key: 'x', value: 'new' }, leader);
  if (!c.runUntil(() => done('c1') > w, c.sim.now() + 200)) notes.push('the write did not complete');
  let r = done('c2');
  c.submit('c2', { op: 'get', key: 'x', local: true }, follower);
  c.runUntil(() => done('c2') > r, c.sim.now() + 50);
  const localRead = lastRead();
  r = done('c2');
  c.submit('c2', { op: 'get', key: 'x' }, follower);
  if (!c.runUntil(() => done('c2') > r, c.sim.now() + 500)) notes.push('the sync read did not complete');
  const syncRead = lastRead();
  recover(c, notes);
  const verdict = (x: { ok: boolean | 'unknown' }) => x.ok;
  const facts: StaleReadFacts = {
    follower,
    written: 'new',
    localRead,
    syncRead,
    linearizable: verdict(c.linearizability()),
    linearizableWithLocalReads: verdict(c.linearizability({ localReads: true })),
  };
  return finish('staleLocalRead', seed, `A local read at ${follower}, behind a 100 ms link, misses a completed write; a sync read there does not.`, c, facts, [], notes, [0, c.sim.now()]);
}

/** The facts of `epochBeforeZxidScenario`. */
export interface EpochOrderFacts {
  /** T: the proposal of epoch 1 that only two servers logged; U: the proposal of epoch 2 that only its leader logged. */
  t: Zxid | null;
  u: Zxid | null;
  /** Who led epoch 3 (the election this is about), and whether T was delivered anywhere. */
  thirdLeader: NodeId | null;
  tDelivered: NodeId[];
  /** Who led after the epoch-3 leader crashed. */
  fourthLeader: NodeId | null;
}

/**
 * Why the vote compares the epoch before the zxid (Medeiros §3.1; ZOOKEEPER-1154's
 * currentEpoch). Five servers, three epochs:
 * 1. n5 leads epoch 1, commits 'A'; proposes 'T' = (1,2), logged by n5 and n4 only; both crash.
 * 2. n1, n2, n3 establish epoch 2 under n3 (their history: A). n3 proposes 'U' = (2,1), which
 *    only n3 logs, and crashes.
 * 3. n4 and n5 restart. n1, n2 have current epoch 2 and last zxid (1,1); n4, n5 current epoch 1
 *    and last zxid (1,2). The reference vote prefers epoch 2: n2 leads epoch 3 and T is
 *    truncated (it was never committed). A vote comparing zxids first prefers n5: epoch 3 then
 *    commits T...
 * 4. ...n5 (and n4) crash, n3 restarts with U = (2,1), the highest zxid of all: it leads epoch
 *    4 and truncates T, which n1 and n2 delivered (Agreement, Primary integrity).
 * ZooKeeper's "follower is ahead" guard catches step 3 (the epoch-3 leader gives up, again and
 * again: Election termination); pass `guardFollowerAhead: false` to see step 4.
 *
 * @example
 *   epochBeforeZxidScenario(1, { rules: brokenZabRules.zxidBeforeEpoch, guardFollowerAhead: false }).safety.ok; // false
 */
export function epochBeforeZxidScenario(seed: number | string = 1, options: Partial<ZabClusterOptions> = {}): ZabScenarioResult<EpochOrderFacts> {
  const c = ensemble(seed, 5, options);
  const notes: string[] = [];
  const stages: ZabStage[] = [];
  const [n1, n2, n3, n4, n5] = c.servers;
  if (settle(c, notes, 'first election') !== n5) notes.push(`expected ${n5} to lead epoch 1`);
  write(c, 'c2', '[A]', n5, notes);
  c.runUntil(() => c.caughtUp(), c.sim.now() + 200);
  for (const id of [n1, n2, n3]) c.sim.cut(n5, id);
  write(c, 'c1', '[T]', n5, notes, false);
  c.runUntil(() => zxidOf(c, n4, '[T]') !== null, c.sim.now() + 100);
  const t = zxidOf(c, n5, '[T]');
  c.sim.crash(n5);
  c.sim.crash(n4);
  c.sim.heal();
  stage(c, stages, `1. ${n5} proposed T to ${n4} only; both crashed`);
  if (settle(c, notes, 'epoch 2') !== n3) notes.push(`expected ${n3} to lead epoch 2`);
  for (const id of [n1, n2]) c.sim.cut(n3, id);
  c.submit('c2', { op: 'append', key: 'log', value: '[U]' }, n3);
  c.runUntil(() => zxidOf(c, n3, '[U]') !== null, c.sim.now() + 100);
  const u = zxidOf(c, n3, '[U]');
  c.sim.crash(n3);
  c.sim.heal();
  stage(c, stages, `2. ${n3} led epoch 2, logged U alone, crashed`);
  c.sim.restart(n4);
  c.sim.restart(n5);
  const t3 = c.sim.now();
  const thirdLeader = settle(c, notes, 'epoch 3', 1500);
  c.run(c.sim.now() + 50);
  const tDelivered = c.servers.filter((id) => delivered(c, id, '[T]'));
  stage(c, stages, `3. ${n4}, ${n5} restarted; ${thirdLeader ?? 'nobody'} leads epoch 3`);
  let fourthLeader: NodeId | null = null;
  if (thirdLeader !== null && thirdLeader !== n1 && thirdLeader !== n2) {
    c.sim.crash(n5);
    if (c.sim.isUp(n4)) c.sim.crash(n4);
    c.sim.restart(n3);
    fourthLeader = settle(c, notes, 'epoch 4');
    stage(c, stages, `4. ${n5}, ${n4} crashed, ${n3} restarted; ${fourthLeader ?? 'nobody'} leads`);
  }
  recover(c, notes);
  const facts: EpochOrderFacts = { t, u, thirdLeader, tDelivered, fourthLeader };
  return finish('epochBeforeZxid', seed, 'Three epochs: a longer history of an old epoch against the committed initial history of a newer one.', c, facts, stages, notes, [t3, t3 + 1500]);
}

/** The facts of `firstElection`. */
export interface FirstElectionFacts {
  leader: NodeId | null;
  /** When the first epoch was established (virtual ms), or null. */
  establishedAtMs: number | null;
  /** Notifications sent before it. */
  notifications: number;
}

/**
 * A fresh ensemble's first election (Medeiros §3.1): every vote has epoch 0 and zxid (0,0), so
 * the server id decides: the highest id leads. Without the id tie-break
 * (`brokenZabRules.noServerIdTieBreak`) votes never converge: Election termination breaks.
 *
 * @example
 *   firstElection(1).facts.leader; // 'n5'
 */
export function firstElection(seed: number | string = 1, options: Partial<ZabClusterOptions> & { servers?: number; withinMs?: number } = {}): ZabScenarioResult<FirstElectionFacts> {
  const { servers, withinMs, ...rest } = options;
  const c = ensemble(seed, servers ?? 5, rest);
  const notes: string[] = [];
  const limit = withinMs ?? 2000;
  c.runUntil(() => settled(c), limit);
  const est = annotations(c, 'established')[0];
  const facts: FirstElectionFacts = {
    leader: c.leader(),
    establishedAtMs: est ? est.timeMs : null,
    notifications: c.sim.trace.events.filter((e) => e.kind === 'send' && (e.msg as { type?: string }).type === 'NOTIFICATION' && (est === undefined || e.timeMs <= est.timeMs)).length,
  };
  return finish('firstElection', seed, 'A fresh ensemble elects its first leader.', c, facts, [], notes, [0, limit]);
}
