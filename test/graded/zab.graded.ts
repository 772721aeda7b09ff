/**
 * Graded tests of the ZAB exercise (exercises/zab.ts): the vote comparison of fast leader
 * election (compareVotes, Medeiros 2012 §3.1) and the choice of DIFF, TRUNC or SNAP
 * (chooseSync, Medeiros §3.2; Junqueira, Reed & Serafini, DSN 2011, §IV-B).
 *
 * First, unit cases check each contract on frozen inputs, and a wrong answer names the rule it
 * breaks: zxid before epoch, no zxid, no server-id tie-break, a DIFF off by one, a DIFF that
 * stops at the commit point, a DIFF where a TRUNC is needed, a wrong SNAP threshold. Then the
 * learner's two rules run inside the real ZAB servers (lib/protocols/zab) in the course's
 * scripted scenarios and in a seeded chaos sweep, and a failure names the ZAB property that
 * broke (lib/checkers/zab.ts: Integrity, Total order, Agreement, Local / Global primary order,
 * Primary integrity; Election termination and Delivered everywhere for liveness), with the seed
 * and the simulated time.
 *
 * The scenarios switch ZooKeeper's "follower is ahead" guard off (guardFollowerAhead: false):
 * with it on, a leader that meets a follower with a higher (epoch, zxid) gives up, so a wrong
 * vote comparison costs endless elections instead of lost transactions. With the guard off the
 * vote alone must pick a leader that holds every delivered transaction, and a wrong one shows as
 * the safety break it is. The chaos sweeps keep the guard on, as ZooKeeper does.
 */
import { frozenCopy, gradedSuite, implementation, type GradedContext, failRule as fail, callFrozenRule } from '../../lib/grade';
import { zabElectionTerminates, type ZabCheckResult } from '../../lib/checkers/zab';
import {
  checkZabRuleResult,
  deliveredLabels,
  describeSyncPlan,
  epochBeforeZxidScenario,
  firstElection,
  formatZxid,
  leaderCrashAfterPartialCommit,
  leaderCrashAfterProposal,
  primaryOrderHolds,
  syncModesScenario,
  zabChaosRun,
  zabCluster,
  type SyncInput,
  type SyncPlan,
  type Vote,
  type ZabChaosOptions,
  type ZabClusterOptions,
  type ZabRules,
  type ZabScenarioResult,
  type Zxid,
} from '../../lib/protocols/zab';

type Exercise = typeof import('../../solutions/zab');

const RULE_NAMES = ['compareVotes', 'chooseSync'] as const;

/** The learner's two rules (or the reference, with --target solutions), as the servers take them. */
function rules(): ZabRules {
  const module = implementation<Exercise>('zab');
  for (const name of RULE_NAMES) {
    if (typeof module[name] !== 'function') throw new Error(`exercises/zab.ts must export a function ${name} (it exports ${typeof module[name]})`);
  }
  return { compareVotes: module.compareVotes, chooseSync: module.chooseSync };
}

// ---------------------------------------------------------------------------------------------
// The rules, by the names a failure reports
// ---------------------------------------------------------------------------------------------

const VOTE_EPOCH = 'vote order 1: the higher epoch wins, whatever the zxids (Medeiros §3.1)';
const VOTE_ZXID = 'vote order 2: on equal epochs, the higher zxid wins (Medeiros §3.1)';
const VOTE_ID = 'vote order 3: on equal epochs and zxids, the higher server id wins (Medeiros §3.1)';
const SYNC_DIFF = "DIFF starts right after the follower's last transaction (Medeiros §3.2)";
const SYNC_WHOLE = "synchronization sends to the end of the leader's history, uncommitted proposals included (Zab §IV-B)";
const SYNC_TRUNC = 'TRUNC what the leader lacks: to its last zxid below the follower\'s, then send the rest (Medeiros §3.2)';
const SYNC_SNAP = 'SNAP only when the follower needs transactions older than the committed log (Medeiros §3.2)';

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/** A learner's rule on frozen input; writing to the input fails the test naming the rule. */
const callRule = <R>(rule: string, call: string, run: () => R): R => callFrozenRule(rule, call, run, 'leave the votes and the input as they were (sort a copy, never the history itself)');

/**
 * Runs the learner's rules inside the servers: a result of the wrong shape (the node checks it
 * with checkZabRuleResult) becomes a failure naming the rule's contract.
 */
function insideServers<T>(seed: number, run: () => T): T {
  try {
    return run();
  } catch (error) {
    const m = error instanceof Error ? /^(compareVotes|chooseSync) returned /.exec(error.message) : null;
    if (m) fail(`the contract of ${m[1]}`, (error as Error).message, 'see the contract in exercises/zab.ts', { seed });
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// compareVotes
// ---------------------------------------------------------------------------------------------

const z = (epoch: number, counter: number): Zxid => ({ epoch, counter });
const vote = (leader: string, epoch: number, zxid: Zxid): Vote => ({ leader, epoch, zxid });

interface VoteCase {
  rule: string;
  a: Vote;
  b: Vote;
  /** The sign compareVotes(a, b) must have: 1 (a is better), -1 (b is better) or 0 (the same vote). */
  sign: 1 | -1 | 0;
  why: string;
}

function showVote(v: Vote): string {
  return `{ ${v.leader}, epoch ${v.epoch}, zxid ${formatZxid(v.zxid)} }`;
}

function signWord(sign: number): string {
  return sign > 0 ? 'positive (the first vote is better)' : sign < 0 ? 'negative (the second vote is better)' : '0 (the same vote)';
}

/** Runs vote cases: the sign of compareVotes(a, b), then the opposite sign for (b, a). */
function checkVotes(cases: VoteCase[]): void {
  const { compareVotes } = rules();
  for (const c of cases) {
    for (const [first, second, sign] of [[c.a, c.b, c.sign], [c.b, c.a, -c.sign]] as [Vote, Vote, number][]) {
      const call = `compareVotes(${showVote(first)}, ${showVote(second)})`;
      const got = callRule('compareVotes', call, () => compareVotes(frozenCopy(first), frozenCopy(second)));
      if (typeof got !== 'number' || Number.isNaN(got)) fail(c.rule, `${call} returned ${show(got)}; it must return a number`, '> 0 when the first vote is better, < 0 when it is worse, 0 for the same vote');
      if (Math.sign(got) !== sign) {
        const swapped = first !== c.a ? ' (the same votes swapped: swapping them must swap the sign)' : '';
        fail(c.rule, `${call} returned ${got}, expected a ${signWord(sign)}${swapped}`, c.why);
      }
    }
  }
}

const voteEpochCases: VoteCase[] = [
  {
    rule: VOTE_EPOCH,
    a: vote('n2', 2, z(1, 1)),
    b: vote('n5', 1, z(1, 2)),
    sign: 1,
    why: "comparing zxids before epochs: n2 acknowledged NEWLEADER of epoch 2, so it holds epoch 2's initial history, which a quorum committed; n5's longer history of epoch 1 may lack it ((1,2) was never committed). The epoch comes first",
  },
  {
    rule: VOTE_EPOCH,
    a: vote('n1', 2, z(2, 7)),
    b: vote('n3', 3, z(2, 4)),
    sign: -1,
    why: 'comparing zxids before epochs: n3 is in epoch 3 (it acknowledged its NEWLEADER) with last zxid (2,4); n1 missed epoch 3 and logged old proposals up to (2,7). Epoch 3 wins',
  },
  {
    rule: VOTE_EPOCH,
    a: vote('n1', 2, z(1, 1)),
    b: vote('n5', 1, z(1, 1)),
    sign: 1,
    why: 'the epoch decides before the server id: epoch 2 beats epoch 1 whatever the ids',
  },
];

const voteZxidCases: VoteCase[] = [
  {
    rule: VOTE_ZXID,
    a: vote('n3', 1, z(1, 2)),
    b: vote('n4', 1, z(1, 1)),
    sign: 1,
    why: 'ignoring the zxid: n3 logged (1,2), which may be committed (delivered by the old leader); n4, despite its higher id, lacks it. A quorum always holds a server with every committed transaction: the highest zxid wins',
  },
  {
    rule: VOTE_ZXID,
    a: vote('n1', 2, z(2, 3)),
    b: vote('n5', 2, z(2, 2)),
    sign: 1,
    why: 'ignoring the zxid: equal epochs, so the higher zxid (2,3) wins before any tie-break on the id',
  },
  {
    rule: VOTE_ZXID,
    a: vote('n3', 2, z(1, 7)),
    b: vote('n2', 2, z(2, 1)),
    sign: -1,
    why: 'zxids compare by epoch, then counter (compareZxid): (2,1) comes after (1,7), although its counter is lower',
  },
];

const voteIdCases: VoteCase[] = [
  {
    rule: VOTE_ID,
    a: vote('n5', 0, z(0, 0)),
    b: vote('n3', 0, z(0, 0)),
    sign: 1,
    why: "forgetting the server-id tie-break: in a fresh ensemble every vote has epoch 0 and zxid (0,0); if they compare equal nobody adopts another's vote and the election never ends. The higher id wins",
  },
  {
    rule: VOTE_ID,
    a: vote('n2', 1, z(1, 4)),
    b: vote('n4', 1, z(1, 4)),
    sign: -1,
    why: 'forgetting the server-id tie-break: equal epochs and zxids, so n4 (the higher id) wins',
  },
  {
    rule: VOTE_ID,
    a: vote('n10', 1, z(1, 4)),
    b: vote('n9', 1, z(1, 4)),
    sign: 1,
    why: "ids compare as compareServerIds does: 'n10' is above 'n9' (comparing them as strings puts 'n10' first)",
  },
  {
    rule: VOTE_ID,
    a: vote('n3', 2, z(2, 5)),
    b: vote('n3', 2, z(2, 5)),
    sign: 0,
    why: 'the same server with the same epoch and zxid: the same vote, 0 (a server re-adopting its own vote would re-broadcast forever)',
  },
];

// ---------------------------------------------------------------------------------------------
// chooseSync
// ---------------------------------------------------------------------------------------------

/** The parts of a plan a test can grade; 'snap' is whether it is a SNAP at all. */
type PlanField = 'mode' | 'truncZxid' | 'sendFrom' | 'sendTo' | 'snap';

interface SyncCase {
  rule: string;
  input: SyncInput;
  expected: SyncPlan;
  why: string;
}

const sync = (follower: Zxid, history: Zxid[], committed = history.length, committedLogSize = 500): SyncInput => ({ followerLastZxid: follower, history, committed, committedLogSize });
const DIFF = (sendFrom: number, sendTo: number): SyncPlan => ({ mode: 'DIFF', sendFrom, sendTo });
const TRUNC = (truncZxid: Zxid, sendFrom: number, sendTo: number): SyncPlan => ({ mode: 'TRUNC', truncZxid, sendFrom, sendTo });
const SNAP: SyncPlan = { mode: 'SNAP' };

function showSyncCall(input: SyncInput): string {
  return `chooseSync({ follower's last zxid ${formatZxid(input.followerLastZxid)}, leader's history [${input.history.map(formatZxid).join(' ')}], committed ${input.committed}, committedLogSize ${input.committedLogSize} })`;
}

/** The part of a plan a test grades (the others are graded by their own tests, so that one mistake costs one test). */
function planField(plan: SyncPlan, field: PlanField): unknown {
  const p = plan as Record<string, unknown>;
  if (field === 'snap') return p.mode === 'SNAP';
  if (field === 'truncZxid') return p.mode === 'TRUNC' && p.truncZxid ? formatZxid(p.truncZxid as Zxid) : undefined;
  return p[field];
}

/**
 * Runs sync cases. `fields` says which parts of the plan this test grades. With ['sendTo']
 * alone, a plan is graded on sending to the end of the history (a SNAP sends everything, so it
 * passes there; the SNAP test grades the mode).
 */
function checkSyncs(cases: SyncCase[], fields: readonly PlanField[]): void {
  const { chooseSync } = rules();
  for (const c of cases) {
    const call = showSyncCall(c.input);
    const got = callRule('chooseSync', call, () => chooseSync(frozenCopy(c.input)));
    try {
      checkZabRuleResult('chooseSync', got, () => 'these inputs');
    } catch (error) {
      fail(c.rule, `${call} returned ${show(got)}; it must return { mode: 'DIFF', sendFrom, sendTo }, { mode: 'TRUNC', truncZxid, sendFrom, sendTo } or { mode: 'SNAP' }`, (error as Error).message);
    }
    const wrong = fields.filter((f) => {
      if (f === 'sendTo' && fields.length === 1) return got.mode !== 'SNAP' && got.sendTo !== c.input.history.length;
      return show(planField(got, f)) !== show(planField(c.expected, f));
    });
    if (wrong.length > 0) {
      const what =
        fields.length === 1 && fields[0] === 'sendTo'
          ? `${describeSyncPlan(got)}: sendTo ${show(planField(got, 'sendTo'))}, expected ${c.input.history.length} (the end of the history)`
          : fields.length === 1 && fields[0] === 'snap'
            ? `${describeSyncPlan(got)}, expected ${c.expected.mode === 'SNAP' ? 'a SNAP' : `not a SNAP (${describeSyncPlan(c.expected)})`}`
            : `${describeSyncPlan(got)}, expected ${describeSyncPlan(c.expected)}`;
      fail(c.rule, `${call} returned ${what}`, c.why);
    }
  }
}

// The leader's history of the examples: three transactions of epoch 1, two of epoch 3.
const H = [z(1, 1), z(1, 2), z(1, 3), z(3, 1), z(3, 2)];

const diffCases: SyncCase[] = [
  { rule: SYNC_DIFF, input: sync(z(1, 2), H), expected: DIFF(2, 5), why: "starting the DIFF at the follower's last transaction: (1,2) is at index 1, the follower has indexes 0 and 1, so send from index 2. From 1, it logs (1,2) twice and delivers it twice" },
  { rule: SYNC_DIFF, input: sync(z(1, 3), H), expected: DIFF(3, 5), why: "(1,3) is at index 2: send the epoch-3 transactions, from index 3" },
  { rule: SYNC_DIFF, input: sync(z(3, 2), H), expected: DIFF(5, 5), why: 'the follower is up to date: an empty DIFF, sendFrom = sendTo = 5 (not a TRUNC, not a SNAP)' },
  { rule: SYNC_DIFF, input: sync(z(0, 0), H), expected: DIFF(0, 5), why: 'an empty follower ((0,0)): a DIFF of the whole history, from index 0' },
  { rule: SYNC_DIFF, input: sync(z(0, 0), []), expected: DIFF(0, 0), why: 'an empty leader and an empty follower: an empty DIFF' },
];

const wholeCases: SyncCase[] = [
  { rule: SYNC_WHOLE, input: sync(z(1, 1), [z(1, 1), z(1, 2)], 1), expected: DIFF(1, 2), why: "sending only the committed part: the leader holds (1,2) uncommitted. An old leader proposed it and may have delivered it; the new epoch commits it. The follower must get it, or it takes the next proposal at (1,2)'s position. sendTo = history.length = 2" },
  { rule: SYNC_WHOLE, input: sync(z(1, 1), H, 3), expected: DIFF(1, 5), why: 'sending only the committed part: indexes 3 and 4 are proposals the leader has not committed yet; send them too, sendTo = 5' },
  { rule: SYNC_WHOLE, input: sync(z(0, 0), H, 0), expected: DIFF(0, 5), why: 'sending only the committed part: nothing is committed yet, and the whole history still goes, sendTo = 5' },
  { rule: SYNC_WHOLE, input: sync(z(1, 5), H, 3), expected: TRUNC(z(1, 3), 3, 5), why: 'sending only the committed part: after the TRUNC to (1,3), send indexes 3 and 4 (uncommitted) too, sendTo = 5' },
];

const truncCases: SyncCase[] = [
  {
    rule: SYNC_TRUNC,
    input: sync(z(1, 2), [z(1, 1), z(2, 1), z(2, 2)]),
    expected: TRUNC(z(1, 1), 1, 3),
    why: "a DIFF where a TRUNC is needed: the follower (an old leader) logged (1,2), which the new epoch never had. (1,1) is the leader's last zxid below (1,2): truncate to it, then send from index 1. A DIFF would leave (1,2) in the follower's history, and it would deliver it where the others deliver (2,1)",
  },
  {
    rule: SYNC_TRUNC,
    input: sync(z(1, 5), H),
    expected: TRUNC(z(1, 3), 3, 5),
    why: 'a DIFF where a TRUNC is needed: (1,4) and (1,5) are epoch-1 proposals the leader does not have; its zxids below (1,5) are indexes 0..2, so truncate to (1,3) and send from index 3',
  },
  {
    rule: SYNC_TRUNC,
    input: sync(z(3, 4), H),
    expected: TRUNC(z(3, 2), 5, 5),
    why: "a DIFF where a TRUNC is needed: the follower is ahead of the leader's last zxid (3,2): truncate to (3,2), nothing to send (sendFrom = sendTo = 5)",
  },
  {
    rule: SYNC_TRUNC,
    input: sync(z(1, 2), [z(2, 1)]),
    expected: TRUNC(z(0, 0), 0, 1),
    why: "a DIFF where a TRUNC is needed: none of the leader's zxids is below (1,2), so truncate everything (to (0,0)) and send from index 0",
  },
  {
    rule: SYNC_TRUNC,
    input: sync(z(1, 1), []),
    expected: TRUNC(z(0, 0), 0, 0),
    why: 'a DIFF where a TRUNC is needed: the leader has nothing, the follower has (1,1): truncate to (0,0)',
  },
];

// committedLogSize 2 with 5 committed: the leader keeps indexes 3 and 4 as a log, so minIndex = 3.
const snapCases: SyncCase[] = [
  { rule: SYNC_SNAP, input: sync(z(1, 1), H, 5, 2), expected: SNAP, why: 'the DIFF would start at index 1, but the leader keeps only indexes 3 and 4 as a log (minIndex = committed - committedLogSize = 3): SNAP' },
  { rule: SYNC_SNAP, input: sync(z(0, 0), H, 5, 2), expected: SNAP, why: 'an empty follower needs index 0, older than the committed log: SNAP' },
  { rule: SYNC_SNAP, input: sync(z(1, 3), H, 5, 2), expected: DIFF(3, 5), why: 'the DIFF starts at index 3 = minIndex: the log still has it, DIFF (not SNAP)' },
  { rule: SYNC_SNAP, input: sync(z(1, 1), H, 3, 2), expected: DIFF(1, 5), why: 'uncommitted proposals are not in the committed log: minIndex = committed - committedLogSize = 3 - 2 = 1, not history.length - committedLogSize. The DIFF from index 1 is possible' },
  { rule: SYNC_SNAP, input: sync(z(1, 3), [z(1, 1), z(1, 2), z(2, 1), z(2, 2), z(2, 3)], 5, 2), expected: SNAP, why: 'a TRUNC to (1,2) would then send from index 2, older than the committed log (minIndex 3): SNAP' },
  { rule: SYNC_SNAP, input: sync(z(2, 1), H, 5, 2), expected: TRUNC(z(1, 3), 3, 5), why: 'the TRUNC to (1,3) sends from index 3 = minIndex: TRUNC (not SNAP)' },
  { rule: SYNC_SNAP, input: sync(z(3, 4), H, 5, 1), expected: TRUNC(z(3, 2), 5, 5), why: 'a follower ahead of the leader needs nothing old: TRUNC to (3,2), never SNAP' },
];

// ---------------------------------------------------------------------------------------------
// The scenarios, with the learner's rules inside
// ---------------------------------------------------------------------------------------------

/** What to look at, by the property that broke. */
const PROPERTY_HINTS: Record<string, string> = {
  Integrity: 'a server delivered a transaction nobody broadcast with that zxid: look at the ranges your sync plan sends',
  'Total order': "a server delivered a transaction at another position than the others: after synchronization its history must be exactly the leader's (DIFF from the transaction after its last, to the end of the history; TRUNC what the leader lacks)",
  Agreement: 'two servers delivered different transactions at one position, or one took back a delivered transaction: either the new leader lacked a delivered transaction (compareVotes: the epoch, then the zxid), or a follower kept proposals the new epoch dropped (chooseSync: TRUNC)',
  'Local primary order': "a primary's transaction was delivered without one it broadcast before: a sync plan must not skip part of the leader's history",
  'Global primary order': "a transaction of an older primary was delivered after a newer one's: a follower kept old proposals after the new epoch's (chooseSync: TRUNC)",
  'Primary integrity': 'a primary broadcast before it had delivered every older transaction anybody delivers: the elected server lacked a committed transaction (compareVotes: the epoch first, then the zxid)',
  'Election termination': 'the votes never converged on a leader that could establish its epoch: compareVotes must give every pair of different votes a strict order, the same on every server (epoch, then zxid, then server id)',
  'Delivered everywhere': "after recovery a server lacks a transaction the others delivered: synchronization must send the leader's whole history (sendTo = history.length)",
};

/** "A. B": the property's hint, then the test's, as sentences. */
function joinHints(first: string | undefined, second: string): string {
  const capital = /^n\d/.test(second) ? second : second.charAt(0).toUpperCase() + second.slice(1);
  return first ? `${first}. ${capital}` : capital;
}

/** The latest "at T ms" of a checker message's first line: when the property broke. */
function timeOf(message: string): number | undefined {
  const times = [...message.split('\n')[0].matchAll(/at (\d+(?:\.\d+)?) ms/g)].map((m) => Number(m[1]));
  const between = /between [\d.]+ and (\d+(?:\.\d+)?) ms|within (\d+(?:\.\d+)?) ms/.exec(message);
  if (between) times.push(Number(between[1] ?? between[2]));
  return times.length > 0 ? Math.max(...times) : undefined;
}

/** A checker's message without its "<property> broken: " prefix: the grader prints the property already. */
function unprefixed(result: { property: string; message: string }): string {
  const prefix = `${result.property} broken: `;
  return result.message.startsWith(prefix) ? result.message.slice(prefix.length) : result.message;
}

/** A failed check as a graded failure named by its property. */
function failCheck(result: ZabCheckResult, hint: string, seed: number, extra = ''): void {
  if (result.ok) return;
  fail(result.property, unprefixed(result) + extra, joinHints(PROPERTY_HINTS[result.property], hint), { seed, timeMs: timeOf(result.message) });
}

/** Safety first, then recovery (the election ended, everything delivered everywhere), then the steps the script could not make happen. */
function checkScenario(r: ZabScenarioResult<unknown>, seed: number, hint: string): void {
  failCheck(r.safety, hint, seed);
  failCheck(r.recovery, hint, seed, `\n${r.summary}`);
  if (r.notes.length > 0) fail('progress: every step of the scenario happens', `${r.notes.join('; ')}\n${r.summary}`, hint, { seed });
}

/** The scenarios' options: the learner's rules, ZooKeeper's "follower is ahead" guard off (see the top of this file). */
function scenarioOptions(learner: ZabRules, guard = false): Partial<ZabClusterOptions> {
  return { rules: learner, guardFollowerAhead: guard };
}

const ELECT_HINT = 'in a fresh ensemble every vote has epoch 0 and zxid (0,0): only the server id orders them (Medeiros §3.1)';
const PROPOSAL_HINT = "W was logged by n2, n3, n4 (a quorum) and acknowledged in vain: the vote must elect one of them (the highest zxid, then id: n4), and chooseSync must send W to n1 although nobody committed it yet, so that epoch 2 commits it everywhere";
const PARTIAL_HINT = 'n5 and n1 delivered W, n2 and n3 only logged it, n4 never saw it: the vote must elect a server holding W (the highest zxid: n3), never n4 for its id';
const SYNC_HINT = 'n5 (the old leader) logged P alone: TRUNC it away; n2 missed two writes: DIFF them; n1 missed more than the committed log holds: SNAP';
const EPOCH_HINT = "n1, n2 are in epoch 2 with last zxid (1,1); n4, n5 in epoch 1 with a longer history ending (1,2), never committed: the epoch decides first, so n1 or n2 leads epoch 3 and (1,2) is truncated";
const PRIMARY_HINT = "the old primary's X and Y, which nobody else logged, must be truncated when it returns (TRUNC to (0,0)); no server may deliver Y without X or after Z";

// ---------------------------------------------------------------------------------------------
// Primary order (Zab §III-B, §I): the ZAB half of lib/protocols/zab/primary-order.ts, with the learner's rules
// ---------------------------------------------------------------------------------------------

/**
 * Three servers; n3 leads epoch 1 and broadcasts X, whose PROPOSALs to both followers are lost,
 * then Y, whose PROPOSAL reaches one follower, which must hold it back (FIFO: X is missing).
 * n3 crashes; the next leader broadcasts its client's Z; n3 restarts with X and Y in its history.
 * Every server must deliver Z alone: Y never without X (local primary order), nothing of epoch
 * 1 after epoch 2's Z (global primary order). Per-slot Paxos in the same situation gives Z, Y
 * (primaryOrderScenario).
 */
function primaryOrderCheck(seed: number, learner: ZabRules): void {
  const c = zabCluster({ seed, servers: 3, clients: 2, clientOptions: { retryMs: 100_000 }, network: { latency: { kind: 'uniform', minMs: 1, maxMs: 2 } }, ...scenarioOptions(learner) });
  const label = (id: string, what: string) => c.node(id)?.state.history.some((t) => typeof t.value !== 'string' && t.value.value === what) ?? false;
  if (!c.runUntil(() => c.leader() !== null && c.caughtUp(), 2000)) {
    failCheck(zabElectionTerminates(c.sim.trace.events, c.sim.now()), PRIMARY_HINT, seed, `\n${c.summary()}`);
    fail('progress: every step of the scenario happens', `the first epoch was not established by ${c.sim.now()} ms\n${c.summary()}`, PRIMARY_HINT, { seed });
  }
  const l1 = c.leader() as string;
  const [f1, f2] = c.servers.filter((id) => id !== l1);
  c.sim.configureLink(l1, f1, { dropRate: 1 });
  c.sim.configureLink(l1, f2, { dropRate: 1 });
  c.submit('c1', { op: 'append', key: 'log', value: 'X' }, l1);
  c.runUntil(() => label(l1, 'X'), c.sim.now() + 50);
  c.sim.configureLink(l1, f2, { dropRate: 0 });
  const sentAt = c.sim.trace.events.length;
  c.submit('c2', { op: 'append', key: 'log', value: 'Y' }, l1);
  const yArrived = () =>
    c.sim.trace.events.slice(sentAt).some((e) => {
      const msg = e.kind === 'deliver' && e.to === f2 ? (e.msg as { type?: string; txn?: { value: { value?: string } } }) : null;
      return msg?.type === 'PROPOSAL' && msg.txn?.value.value === 'Y';
    });
  c.runUntil(yArrived, c.sim.now() + 50);
  c.sim.crash(l1);
  c.sim.configureLink(l1, f1, { dropRate: 0 });
  const crashedAt = c.sim.now();
  c.runUntil(() => c.leader() !== null, crashedAt + 1500);
  const l2 = c.leader();
  if (l2 !== null) {
    c.sim.inject(l2, { type: 'CLIENT_REQUEST', requestId: 'c1:100', client: 'c1', seq: 100, operation: { op: 'append', key: 'log', value: 'Z' } });
    c.runUntil(() => label(l2, 'Z') && c.caughtUp(), c.sim.now() + 500);
  }
  c.sim.restart(l1);
  const settled = c.runUntil(() => c.leader() !== null && c.caughtUp(), c.sim.now() + 2000);
  const events = c.sim.trace.events;
  const primaries = [{ primary: l1, broadcasts: ['X', 'Y'] }, { primary: l2 ?? 'the next primary', broadcasts: ['Z'] }];
  for (const id of c.servers) {
    const delivered = deliveredLabels(events, id);
    const verdict = primaryOrderHolds(delivered, primaries);
    if (!verdict.ok) fail('Local primary order', `${id} delivered ${delivered.join(', ')}: ${verdict.message}`, joinHints(PROPERTY_HINTS['Local primary order'], PRIMARY_HINT), { seed });
  }
  const report = c.safetyReport();
  failCheck(report['Local primary order'], PRIMARY_HINT, seed);
  failCheck(report['Global primary order'], PRIMARY_HINT, seed);
  failCheck(c.safety(), PRIMARY_HINT, seed);
  if (l2 === null) failCheck(zabElectionTerminates(events, crashedAt + 1500, crashedAt), PRIMARY_HINT, seed, `\n${c.summary()}`);
  if (!settled) fail('progress: every step of the scenario happens', `after ${l1} restarted, not every server caught up by ${Math.round(c.sim.now())} ms\n${c.summary()}`, PRIMARY_HINT, { seed });
  failCheck(c.deliveredEverywhere(), PRIMARY_HINT, seed);
  const finals = c.servers.map((id) => `${id}: ${deliveredLabels(events, id).join(', ') || 'nothing'}`);
  if (c.servers.some((id) => deliveredLabels(events, id).join(',') !== 'Z')) fail('Agreement', `expected every server to deliver Z alone; ${finals.join('; ')}`, PRIMARY_HINT, { seed });
}

// ---------------------------------------------------------------------------------------------
// The chaos sweep
// ---------------------------------------------------------------------------------------------

/** One chaos run's verdicts (without the cluster, so that they can be kept). */
interface ChaosVerdicts {
  safety: ZabCheckResult;
  linearizability: { ok: boolean | 'unknown'; message?: string };
  liveness: { ok: true } | { ok: false; property: string; message: string; timeMs: number };
  completed: number;
}

/**
 * The safety test and the liveness test grade the same runs: the first computes them and keeps
 * the verdicts here (per options, for the rules they ran with), the second reuses them.
 */
const chaosRuns = new Map<string, ChaosVerdicts>();
let chaosRulesSeen: ZabRules | null = null;

function chaosVerdicts(seed: number, learner: ZabRules, options: ZabChaosOptions = {}): ChaosVerdicts {
  if (!chaosRulesSeen || chaosRulesSeen.compareVotes !== learner.compareVotes || chaosRulesSeen.chooseSync !== learner.chooseSync) {
    chaosRuns.clear();
    chaosRulesSeen = learner;
  }
  const key = `${seed} ${JSON.stringify(options)}`;
  const kept = chaosRuns.get(key);
  if (kept) return kept;
  const r = insideServers(seed, () => zabChaosRun(seed, { ...options, rules: learner }));
  const healAtMs = options.healAtMs ?? 1500;
  let liveness: ChaosVerdicts['liveness'] = { ok: true };
  if (!r.liveness.ok) {
    const now = r.cluster.sim.now();
    const election = zabElectionTerminates(r.cluster.sim.trace.events, now, healAtMs);
    const everywhere = r.cluster.deliveredEverywhere();
    if (r.cluster.leader() === null && !election.ok) liveness = { ok: false, property: election.property, message: `${unprefixed(election)}\n${r.liveness.message}`, timeMs: now };
    else if (!everywhere.ok) liveness = { ok: false, property: everywhere.property, message: r.liveness.message.startsWith(everywhere.message) ? unprefixed({ property: everywhere.property, message: r.liveness.message }) : `${unprefixed(everywhere)}\n${r.liveness.message}`, timeMs: now };
    else liveness = { ok: false, property: 'liveness: every server catches up after healing', message: r.liveness.message, timeMs: now };
  }
  const lin = r.linearizability;
  const verdicts: ChaosVerdicts = { safety: r.safety, linearizability: { ok: lin.ok, message: lin.ok === true ? undefined : lin.message }, liveness, completed: r.completed };
  chaosRuns.set(key, verdicts);
  return verdicts;
}

const CHAOS_HINT = 'replay the seed and read the trace: which server led each epoch (the votes), and what each sync sent (the "sync" annotations: DIFF, TRUNC, SNAP)';

function chaosSafety(ctx: GradedContext, count: number, options: ZabChaosOptions = {}): void {
  const learner = rules();
  let completed = 0;
  for (const seed of ctx.seeds(count)) {
    const v = chaosVerdicts(seed, learner, options);
    completed += v.completed;
    failCheck(v.safety, CHAOS_HINT, seed);
    if (v.linearizability.ok === false) fail('linearizability (writes and sync reads)', v.linearizability.message ?? 'not linearizable', joinHints('a completed write was lost or reordered: some delivered transaction was taken back or delivered in another order', CHAOS_HINT), { seed });
  }
  ctx.log(`${completed} client operations completed`);
}

function chaosLiveness(ctx: GradedContext, count: number, options: ZabChaosOptions = {}): void {
  const learner = rules();
  for (const seed of ctx.seeds(count)) {
    const v = chaosVerdicts(seed, learner, options);
    if (!v.liveness.ok) {
      const guard = v.liveness.property === 'Election termination' ? '. ZooKeeper\'s "follower is ahead" guard is on here: a leader whose vote beat a server with a higher (epoch, zxid) gives up and the election starts again, so a wrong order shows as elections that never end' : '';
      fail(v.liveness.property, v.liveness.message, joinHints(PROPERTY_HINTS[v.liveness.property], `${CHAOS_HINT}${guard}`), { seed, timeMs: v.liveness.timeMs });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

export default gradedSuite('zab', [
  {
    name: 'compareVotes: the higher epoch wins first',
    points: 2,
    description: 'compareVotes: a vote for a server of a newer epoch beats one for a longer history of an older epoch (Medeiros §3.1; ZOOKEEPER-1154).',
    run() {
      checkVotes(voteEpochCases);
    },
  },
  {
    name: 'compareVotes: then the higher zxid',
    points: 2,
    description: 'compareVotes: on equal epochs the higher last zxid wins, compared by epoch then counter (Medeiros §3.1).',
    run() {
      checkVotes(voteZxidCases);
    },
  },
  {
    name: 'compareVotes: then the higher server id',
    points: 2,
    description: "compareVotes: on equal epochs and zxids the higher id wins ('n10' above 'n9'); the same vote compares 0; swapping the votes swaps the sign (Medeiros §3.1).",
    run() {
      checkVotes(voteIdCases);
    },
  },
  {
    name: "chooseSync: DIFF from the follower's next transaction",
    points: 2,
    description: "chooseSync: when the follower's last zxid is in the leader's history at index i, DIFF [i + 1, n); an up-to-date follower gets an empty DIFF (Medeiros §3.2).",
    run() {
      checkSyncs(diffCases, ['mode', 'sendFrom', 'sendTo']);
    },
  },
  {
    name: 'chooseSync: send the uncommitted proposals too',
    points: 2,
    description: "chooseSync: sendTo is always the end of the leader's history: the new epoch commits the proposals it holds, so every follower must get them (Zab §IV-B).",
    run() {
      checkSyncs(wholeCases, ['sendTo']);
    },
  },
  {
    name: 'chooseSync: TRUNC what the leader lacks',
    points: 2,
    description: "chooseSync: a follower with proposals the leader does not have is truncated to the leader's last zxid below its own, then sent the rest (Medeiros §3.2).",
    run() {
      checkSyncs(truncCases, ['mode', 'truncZxid', 'sendFrom', 'sendTo']);
    },
  },
  {
    name: 'chooseSync: SNAP only past the committed log',
    points: 2,
    description: 'chooseSync: SNAP when the DIFF or TRUNC would start before minIndex = committed - committedLogSize, and only then (ZooKeeper\'s commitLogCount).',
    run() {
      checkSyncs(snapCases, ['snap']);
    },
  },
  {
    name: 'a fresh ensemble elects the highest id',
    points: 1,
    description: 'firstElection with your rules, 5 servers, seeds 1-5: every vote is (epoch 0, zxid (0,0)), the election must end, and n5 must lead (Medeiros §3.1).',
    run(ctx) {
      const learner = rules();
      for (const seed of ctx.seeds(5)) {
        const r = insideServers(seed, () => firstElection(seed, { ...scenarioOptions(learner), servers: 5, withinMs: 1000 }));
        failCheck(r.recovery, ELECT_HINT, seed, `\n${r.summary}`);
        failCheck(r.safety, ELECT_HINT, seed);
        if (r.facts.leader !== 'n5') fail(VOTE_ID, `${r.facts.leader ?? 'nobody'} leads the first epoch; expected n5, the highest id`, ELECT_HINT, { seed, timeMs: r.facts.establishedAtMs ?? undefined });
      }
    },
  },
  {
    name: 'a proposal survives its leader crashing before the commit',
    points: 2,
    description: "leaderCrashAfterProposal with your rules, seeds 1-5: n5 proposes W to n2, n3, n4 and crashes before any ACK arrives; the new leader must hold W and DIFF it to n1; every server delivers A, W, Z (Zab §IV-B).",
    run(ctx) {
      const learner = rules();
      for (const seed of ctx.seeds(5)) {
        const r = insideServers(seed, () => leaderCrashAfterProposal(seed, scenarioOptions(learner)));
        checkScenario(r, seed, PROPOSAL_HINT);
        if (r.facts.deliveredBy.length !== 5 || r.facts.finalLog !== '[A][W][Z]') {
          fail(VOTE_ZXID, `${r.facts.newLeader ?? 'nobody'} led epoch 2; W was delivered by ${r.facts.deliveredBy.join(', ') || 'nobody'}; n1's log reads ${show(r.facts.finalLog)}, expected "[A][W][Z]" everywhere`, PROPOSAL_HINT, { seed });
        }
      }
    },
  },
  {
    name: 'a transaction delivered before partial COMMITs survives',
    points: 2,
    description: 'leaderCrashAfterPartialCommit with your rules, seeds 1-5, ZooKeeper\'s guard off: n5 and n1 delivered W, n2 and n3 only logged it, n4 never saw it, n5 crashes; the election must pick a server holding W and W is delivered everywhere (Zab §IV-C).',
    run(ctx) {
      const learner = rules();
      for (const seed of ctx.seeds(5)) {
        const r = insideServers(seed, () => leaderCrashAfterPartialCommit(seed, scenarioOptions(learner)));
        checkScenario(r, seed, PARTIAL_HINT);
        if (r.facts.deliveredBy.length !== 5) fail('Delivered everywhere', `${r.facts.newLeader ?? 'nobody'} led the next epoch; W was delivered by ${r.facts.deliveredBy.join(', ')} only`, PARTIAL_HINT, { seed });
      }
    },
  },
  {
    name: 'returning followers get SNAP, TRUNC and DIFF',
    points: 2,
    description: "syncModesScenario with your rules, seeds 1-5, committedLogSize 5: the old leader's own proposal P is truncated (TRUNC), a follower that missed two writes gets a DIFF, one that missed more than the committed log gets a SNAP; P is delivered nowhere and every server ends with the same log (Medeiros §3.2).",
    run(ctx) {
      const learner = rules();
      for (const seed of ctx.seeds(5)) {
        const r = insideServers(seed, () => syncModesScenario(seed, scenarioOptions(learner)));
        checkScenario(r, seed, SYNC_HINT);
        const f = r.facts;
        const logs = Object.entries(f.finalLogs);
        if (logs.some(([, log]) => log !== logs[0][1] || log.includes('[P]'))) fail('Agreement', `the final logs differ or hold P: ${logs.map(([id, log]) => `${id} ${log}`).join('; ')}`, SYNC_HINT, { seed });
        const modes: [string, string | null, string][] = [
          [f.farBehind.server, f.farBehind.sync, 'SNAP'],
          [f.extraUncommitted.server, f.extraUncommitted.sync, 'TRUNC'],
          [f.slightlyBehind.server, f.slightlyBehind.sync, 'DIFF'],
        ];
        for (const [server, got, mode] of modes) {
          if (!got?.startsWith(mode)) fail(mode === 'SNAP' ? SYNC_SNAP : mode === 'TRUNC' ? SYNC_TRUNC : SYNC_DIFF, `${server} was synchronized with ${got ?? 'nothing'}, expected a ${mode}`, SYNC_HINT, { seed });
        }
      }
    },
  },
  {
    name: 'a newer epoch beats a longer history of an older one',
    points: 2,
    description: "epochBeforeZxidScenario with your rules, seeds 1-5, ZooKeeper's guard off: after three epochs, a server of epoch 2 must beat servers of epoch 1 with a longer history; the uncommitted T is truncated, never delivered, and nothing delivered is taken back (Medeiros §3.1).",
    run(ctx) {
      const learner = rules();
      for (const seed of ctx.seeds(5)) {
        const r = insideServers(seed, () => epochBeforeZxidScenario(seed, scenarioOptions(learner)));
        checkScenario(r, seed, EPOCH_HINT);
        if (r.facts.thirdLeader !== 'n1' && r.facts.thirdLeader !== 'n2') fail(VOTE_EPOCH, `${r.facts.thirdLeader ?? 'nobody'} led epoch 3; expected n1 or n2 (current epoch 2)`, EPOCH_HINT, { seed });
        if (r.facts.tDelivered.length > 0) fail('Agreement', `T ${r.facts.t ? formatZxid(r.facts.t) : ''}, never committed in epoch 1, was delivered by ${r.facts.tDelivered.join(', ')}`, EPOCH_HINT, { seed });
      }
    },
  },
  {
    name: "primary order: a primary's transactions in its order, none skipped",
    points: 2,
    description: "The primary-order scenario with your rules, seeds 1-5, 3 servers: the primary's X is lost, its Y reaches one follower, it crashes; the next primary's Z follows. Every server delivers Z alone, never Y without X (per-slot Paxos gives Z, Y), and the old primary's X, Y are truncated when it returns (Zab §III-B).",
    run(ctx) {
      const learner = rules();
      for (const seed of ctx.seeds(5)) insideServers(seed, () => primaryOrderCheck(seed, learner));
    },
  },
  {
    name: 'safety under loss, duplication, crashes and partitions',
    points: 4,
    timeoutMs: 60_000,
    description: "300 seeded chaos runs (zabChaosRun: 5 servers, 2 clients, 10% loss and duplication on FIFO links, up to 3 crashes, partitions, committedLogSize 3 so that SNAP happens) with your rules and ZooKeeper's guard on: the six ZAB properties hold and writes with sync reads are linearizable.",
    run(ctx) {
      chaosSafety(ctx, 300);
    },
  },
  {
    name: 'every server catches up once the faults stop',
    points: 2,
    timeoutMs: 60_000,
    description: 'Liveness, in the same 300 runs: within 3 s of healing an epoch is established, every client is done and every server delivered every transaction any server delivered.',
    run(ctx) {
      chaosLiveness(ctx, 300);
    },
  },
  {
    name: "the scenarios with ZooKeeper's guard on: elections still end",
    points: 2,
    hidden: true,
    description: 'The crash scenarios again, seeds 1-3, with the "follower is ahead" guard on, as ZooKeeper runs: a vote that elects a server behind a follower now costs an election, again and again; every election after a crash must still end and every transaction be delivered everywhere.',
    run(ctx) {
      const learner = rules();
      for (const seed of ctx.seeds(3)) {
        const options = scenarioOptions(learner, true);
        checkScenario(insideServers(seed, () => leaderCrashAfterProposal(seed, options)), seed, PROPOSAL_HINT);
        checkScenario(insideServers(seed, () => leaderCrashAfterPartialCommit(seed, options)), seed, PARTIAL_HINT);
        checkScenario(insideServers(seed, () => epochBeforeZxidScenario(seed, options)), seed, `${EPOCH_HINT}. With the guard on, a vote that puts the zxid first elects n5, which meets n1 and n2 ahead of it (epoch 2) and gives up, again and again`);
      }
    },
  },
  {
    name: '3 servers, SNAP-heavy chaos',
    points: 2,
    hidden: true,
    timeoutMs: 60_000,
    description: '100 seeded chaos runs with 3 servers and committedLogSize 1 (a follower more than one committed transaction behind gets a SNAP): safety, linearizability and liveness.',
    run(ctx) {
      const options: ZabChaosOptions = { servers: 3, committedLogSize: 1 };
      chaosSafety(ctx, 100, options);
      chaosLiveness(ctx, 100, options);
    },
  },
]);
