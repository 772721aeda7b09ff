/**
 * Graded tests of the PBFT exercise (exercises/pbft.ts): prepared and committed-local (Castro &
 * Liskov, OSDI 1999, §4.2) and the NEW-VIEW computation (§4.4).
 *
 * Unit cases check each contract on frozen inputs, and a wrong answer names the rule it breaks
 * (2f prepares, matching digests, the primary's prepare not counted, 2f+1 commits, the
 * highest-view prepared request, null requests in the gaps). Then the learner's three rules run
 * inside the real replicas (lib/protocols/pbft) in a seeded sweep with up to f Byzantine
 * replicas and a lossy, partitioned network; a failure names the property of
 * lib/checkers/pbft.ts that broke (Agreement, Order, Liveness), with the seed. Two scripted
 * runs (lib/protocols/pbft/scenarios.ts) aim at one rule each: committing with f+1 commits and
 * a NEW-VIEW that takes the lowest view each break Agreement there, and the failure names both
 * the property and the rule.
 */
import { frozenCopy, gradedSuite, implementation, type GradedContext, failRule as fail, callFrozenRule } from '../../lib/grade';
import { NULL_DIGEST, pbftChaosRun, pbftCommitQuorumScenario, pbftOldCertificateScenario, type PbftScenarioResult, type ClientRequest, type NewViewPlan, type PbftLog, type PbftRules, type ViewChangeSummary } from '../../lib/protocols/pbft';

type Exercise = typeof import('../../solutions/pbft');

/** The learner's three rules (or the reference, with --target solutions). */
function rules(): PbftRules {
  const module = implementation<Exercise>('pbft');
  for (const name of ['prepared', 'committedLocal', 'computeNewView'] as const) {
    if (typeof module[name] !== 'function') throw new Error(`exercises/pbft.ts must export a function ${name} (it exports ${typeof module[name]})`);
  }
  return { prepared: module.prepared, committedLocal: module.committedLocal, computeNewView: module.computeNewView };
}

const PREPARED_2F = 'prepared: the pre-prepare and 2f matching prepares (OSDI §4.2)';
const PREPARED_MATCH = 'prepared: only prepares matching (view, seq, digest), from distinct backups (OSDI §4.2)';
const COMMITTED = 'committed-local: prepared and 2f+1 matching commits (OSDI §4.2)';
const NEWVIEW_HIGHEST = 'NEW-VIEW: the prepared request of the highest view (OSDI §4.4)';
const NEWVIEW_GAPS = 'NEW-VIEW: min-s, max-s, and a null request in every gap (OSDI §4.4)';

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/** A learner's rule on frozen input; writing to the input fails the test naming the rule. */
const callRule = <R>(rule: string, call: string, run: () => R): R => callFrozenRule(rule, call, run, 'leave the log and the view-changes as they are (build new arrays)');

// ---------------------------------------------------------------------------------------------
// prepared and committed-local
// ---------------------------------------------------------------------------------------------

type Entry = { view: number; seq: number; digest: string; replica: string };
const m = (replica: string, digest = 'A', view = 0, seq = 1): Entry => ({ view, seq, digest, replica });
const pp = (digest = 'A', view = 0, seq = 1, replica = 'r1'): Entry => ({ view, seq, digest, replica });
const log = (prePrepares: Entry[], prepares: Entry[], commits: Entry[] = []): PbftLog => ({ prePrepares, prepares, commits });

interface PredicateCase {
  rule: string;
  log: PbftLog;
  args: [view: number, seq: number, digest: string, f: number];
  expected: boolean;
  why: string;
}

function describeLog(l: PbftLog): string {
  const list = (xs: Entry[]) => xs.map((x) => `${x.replica}(v${x.view},n${x.seq},${x.digest})`).join(' ') || 'none';
  return `pre-prepares ${list(l.prePrepares)}; prepares ${list(l.prepares)}; commits ${list(l.commits)}`;
}

function checkPredicate(name: 'prepared' | 'committedLocal', cases: PredicateCase[]): void {
  const rule = rules()[name];
  for (const c of cases) {
    const [view, seq, digest, f] = c.args;
    const call = `${name}(log, view ${view}, seq ${seq}, digest ${digest}, f ${f}) with ${describeLog(c.log)}`;
    const got = callRule(c.rule, call, () => rule(frozenCopy(c.log), view, seq, digest, f));
    if (typeof got !== 'boolean') fail(c.rule, `${call} returned ${show(got)}; it must return true or false`, 'see the contract in exercises/pbft.ts');
    if (got !== c.expected) fail(c.rule, `${call} returned ${got}, expected ${c.expected}`, c.why);
  }
}

const prepared2fCases: PredicateCase[] = [
  { rule: PREPARED_2F, log: log([pp()], [m('r2'), m('r3')]), args: [0, 1, 'A', 1], expected: true, why: 'the pre-prepare and 2f = 2 prepares from distinct backups: prepared' },
  { rule: PREPARED_2F, log: log([pp()], [m('r2')]), args: [0, 1, 'A', 1], expected: false, why: 'f = 1 prepare is not enough: with f prepares, two prepared sets need not share a correct replica, and two requests can prepare at one seq. 2f are needed' },
  { rule: PREPARED_2F, log: log([pp('A', 0, 1, 'r1')], [m('r2'), m('r3'), m('r4')]), args: [0, 1, 'A', 2], expected: false, why: 'f = 2: 2f = 4 prepares are needed, 3 are not enough' },
  { rule: PREPARED_2F, log: log([], [m('r2'), m('r3'), m('r4')]), args: [0, 1, 'A', 1], expected: false, why: 'no pre-prepare for (0, 1, A) in the log: not prepared, whatever the prepares' },
  { rule: PREPARED_2F, log: log([pp('A', 1, 1, 'r2')], [m('r1', 'A', 1), m('r3', 'A', 1)]), args: [1, 1, 'A', 1], expected: true, why: 'view 1, primary r2: prepares from r1 and r3 count' },
];

const preparedMatchCases: PredicateCase[] = [
  { rule: PREPARED_MATCH, log: log([pp()], [m('r2'), m('r3', 'B')]), args: [0, 1, 'A', 1], expected: false, why: "r3's prepare is for digest B, not A: an equivocating primary sent r3 another request. Counting it lets A prepare with one real vote" },
  { rule: PREPARED_MATCH, log: log([pp()], [m('r2'), m('r3', 'A', 1)]), args: [0, 1, 'A', 1], expected: false, why: "r3's prepare is for view 1, not view 0: only matching (view, seq, digest) count" },
  { rule: PREPARED_MATCH, log: log([pp()], [m('r2'), m('r3', 'A', 0, 2)]), args: [0, 1, 'A', 1], expected: false, why: "r3's prepare is for seq 2, not seq 1" },
  { rule: PREPARED_MATCH, log: log([pp()], [m('r2'), m('r2')]), args: [0, 1, 'A', 1], expected: false, why: 'the same replica twice counts once: distinct replicas' },
  { rule: PREPARED_MATCH, log: log([pp()], [m('r2'), m('r1')]), args: [0, 1, 'A', 1], expected: false, why: "r1 sent the pre-prepare: its prepare does not count (the pre-prepare already stands for the primary's vote; a faulty primary would vote twice)" },
  { rule: PREPARED_MATCH, log: log([pp('A'), pp('B')], [m('r2', 'B'), m('r3', 'B'), m('r4', 'A')]), args: [0, 1, 'A', 1], expected: false, why: 'two prepares for B and one for A: A is not prepared (B is)' },
];

const committedCases: PredicateCase[] = [
  { rule: COMMITTED, log: log([pp()], [m('r2'), m('r3')], [m('r2'), m('r3'), m('r4')]), args: [0, 1, 'A', 1], expected: true, why: 'prepared and 2f+1 = 3 matching commits: committed-local' },
  { rule: COMMITTED, log: log([pp()], [m('r2'), m('r3')], [m('r2'), m('r3')]), args: [0, 1, 'A', 1], expected: false, why: 'f+1 = 2 commits are not enough: then a single correct replica may have prepared the request, and a view change without it loses a request this replica executed. 2f+1 are needed' },
  { rule: COMMITTED, log: log([pp()], [m('r2')], [m('r2'), m('r3'), m('r4')]), args: [0, 1, 'A', 1], expected: false, why: 'three commits, but this replica has not prepared (one prepare): committed-local requires prepared too' },
  { rule: COMMITTED, log: log([pp()], [m('r2'), m('r3')], [m('r2'), m('r3'), m('r4', 'B')]), args: [0, 1, 'A', 1], expected: false, why: "r4's commit is for B: only matching commits count" },
  { rule: COMMITTED, log: log([pp()], [m('r2'), m('r3')], [m('r2'), m('r3'), m('r3')]), args: [0, 1, 'A', 1], expected: false, why: 'r3 twice counts once: distinct replicas' },
  { rule: COMMITTED, log: log([pp()], [m('r2'), m('r3')], [m('r1'), m('r2'), m('r3')]), args: [0, 1, 'A', 1], expected: true, why: "the primary's commit counts (only its prepare does not)" },
];

// ---------------------------------------------------------------------------------------------
// computeNewView
// ---------------------------------------------------------------------------------------------

const req = (op: string): ClientRequest => ({ client: 'c1', timestamp: op.charCodeAt(0), op, sig: `sig-${op}` });
const p = (seq: number, view: number, op: string) => ({ seq, view, digest: `d-${op}`, request: req(op) });
const vc = (replica: string, stableSeq: number, prepared: ReturnType<typeof p>[]): ViewChangeSummary => ({ replica, stableSeq, prepared });
const nul = (seq: number) => ({ seq, digest: NULL_DIGEST, request: null });
const ent = (seq: number, op: string) => ({ seq, digest: `d-${op}`, request: req(op) });

interface NewViewCase {
  rule: string;
  input: ViewChangeSummary[];
  expected: NewViewPlan;
  why: string;
}

function showPlan(plan: NewViewPlan): string {
  if (!plan || typeof plan !== 'object' || !Array.isArray(plan.entries)) return show(plan);
  return `min-s ${plan.minS}, max-s ${plan.maxS}, entries [${plan.entries.map((e) => `${e?.seq}: ${e?.request ? e.request.op : e?.digest}`).join(', ')}]`;
}

function showInput(input: ViewChangeSummary[]): string {
  return input.map((v) => `${v.replica} (stable ${v.stableSeq}; prepared ${v.prepared.map((x) => `${x.seq}:${x.request?.op}@v${x.view}`).join(' ') || 'none'})`).join(', ');
}

function checkNewView(cases: NewViewCase[]): void {
  const { computeNewView } = rules();
  for (const c of cases) {
    const call = `computeNewView([${showInput(c.input)}])`;
    const got = callRule(c.rule, call, () => computeNewView(frozenCopy(c.input)));
    const same = got && typeof got === 'object' && got.minS === c.expected.minS && got.maxS === c.expected.maxS && JSON.stringify(got.entries) === JSON.stringify(c.expected.entries);
    if (!same) fail(c.rule, `${call} returned ${showPlan(got)}, expected ${showPlan(c.expected)}`, c.why);
  }
}

const highestCases: NewViewCase[] = [
  { rule: NEWVIEW_HIGHEST, input: [vc('r2', 0, [p(1, 0, 'A')]), vc('r3', 0, [p(1, 1, 'B')]), vc('r4', 0, [])], expected: { minS: 0, maxS: 1, entries: [ent(1, 'B')] }, why: 'A was prepared in view 0, B in view 1 at the same seq: B may have committed in view 1 (a request prepared in view 1 at seq 1 means view 0 committed nothing there). The highest view wins; the lowest takes back what replicas executed' },
  { rule: NEWVIEW_HIGHEST, input: [vc('r2', 0, [p(1, 2, 'C')]), vc('r3', 0, [p(1, 0, 'A')]), vc('r4', 0, [p(1, 1, 'B')])], expected: { minS: 0, maxS: 1, entries: [ent(1, 'C')] }, why: 'views 2, 0 and 1 at seq 1: view 2 (C) wins, wherever it is in the list' },
  { rule: NEWVIEW_HIGHEST, input: [vc('r2', 0, [p(1, 1, 'B'), p(2, 0, 'X')]), vc('r3', 0, [p(1, 1, 'B'), p(2, 1, 'Y')]), vc('r4', 0, [])], expected: { minS: 0, maxS: 2, entries: [ent(1, 'B'), ent(2, 'Y')] }, why: 'per seq: seq 1 has B in view 1 twice; seq 2 has X in view 0 and Y in view 1: Y' },
];

const gapCases: NewViewCase[] = [
  { rule: NEWVIEW_GAPS, input: [vc('r2', 0, [p(3, 0, 'C')]), vc('r3', 0, []), vc('r4', 0, [p(1, 0, 'A')])], expected: { minS: 0, maxS: 3, entries: [ent(1, 'A'), nul(2), ent(3, 'C')] }, why: 'nobody prepared seq 2: fill it with the null request { seq: 2, digest: NULL_DIGEST, request: null }. Leaving it out stalls execution: replicas execute in order and wait for seq 2 forever' },
  { rule: NEWVIEW_GAPS, input: [vc('r2', 4, [p(6, 0, 'F')]), vc('r3', 2, [p(3, 0, 'C'), p(5, 0, 'E')]), vc('r4', 4, [])], expected: { minS: 4, maxS: 6, entries: [ent(5, 'E'), ent(6, 'F')] }, why: 'min-s is the largest stable checkpoint, 4: entries at or below it (seq 3) are ignored; max-s = 6' },
  { rule: NEWVIEW_GAPS, input: [vc('r2', 8, []), vc('r3', 4, [p(6, 0, 'F')]), vc('r4', 0, [])], expected: { minS: 8, maxS: 8, entries: [] }, why: 'min-s = 8 and nothing prepared above it: max-s = min-s and no entries' },
  { rule: NEWVIEW_GAPS, input: [vc('r2', 0, []), vc('r3', 0, []), vc('r4', 0, [])], expected: { minS: 0, maxS: 0, entries: [] }, why: 'nothing prepared: an empty NEW-VIEW' },
  { rule: NEWVIEW_GAPS, input: [vc('r2', 0, [p(4, 0, 'D')]), vc('r3', 0, []), vc('r4', 0, [])], expected: { minS: 0, maxS: 4, entries: [nul(1), nul(2), nul(3), ent(4, 'D')] }, why: 'three gaps before seq 4, each a null request, in order' },
];

// ---------------------------------------------------------------------------------------------
// The seeded Byzantine sweep
// ---------------------------------------------------------------------------------------------

const CHAOS_HINT = 'replay the seed with pbftChaosRun(seed, { rules }) and read the trace: the Byzantine replicas and their behaviours are in the message; look at which replica executed what at the seq named';

function sweep(ctx: GradedContext, seeds: number[], checkLiveness: boolean, f = 1): void {
  const learner = rules();
  let runs = 0;
  for (const seed of seeds) {
    const r = pbftChaosRun(seed, { rules: learner, f });
    runs++;
    const who = Object.entries(r.byzantine).map(([id, b]) => `${id}: ${b.join(', ')}`).join('; ') || 'none';
    if (!r.safety.ok) fail(r.safety.property, `${r.safety.message}\nByzantine replicas: ${who}\n${r.cluster.summary()}`, CHAOS_HINT, { seed, timeMs: r.cluster.sim.now() });
    if (checkLiveness && !r.liveness.ok) fail(r.liveness.property, `${r.liveness.message}\nByzantine replicas: ${who}`, `${CHAOS_HINT}. A stall usually means a predicate that never holds, or a NEW-VIEW that backups reject or that leaves a gap`, { seed, timeMs: r.cluster.sim.now() });
  }
  ctx.log(`${runs} runs`);
}

// ---------------------------------------------------------------------------------------------
// Scripted scenarios aimed at one rule each
// ---------------------------------------------------------------------------------------------

/**
 * Runs a scripted scenario with the learner's rules over a few seeds; a broken safety property
 * fails naming it and the rule the scenario is built to expose.
 */
function scenario(ctx: GradedContext, rule: string, name: string, run: (seed: number, rules: PbftRules) => PbftScenarioResult, hint: string): void {
  const learner = rules();
  for (const seed of ctx.seeds(6)) {
    const r = run(seed, learner);
    if (!r.safety.ok) fail(`${r.safety.property} (${rule})`, `${r.safety.message}
In the scripted run ${name}(${seed}, rules):
${r.cluster.summary()}`, hint, { seed, timeMs: r.cluster.sim.now() });
  }
  ctx.log(`${name}: safe`);
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

export default gradedSuite('pbft', [
  {
    name: 'prepared: 2f prepares and the pre-prepare',
    points: 2,
    description: 'prepared holds with the pre-prepare and 2f prepares from distinct backups, not fewer (OSDI §4.2).',
    run() {
      checkPredicate('prepared', prepared2fCases);
    },
  },
  {
    name: 'prepared: only matching prepares count',
    points: 2,
    description: 'prepared counts prepares of the same view, seq and digest, each replica once, never the primary (OSDI §4.2).',
    run() {
      checkPredicate('prepared', preparedMatchCases);
    },
  },
  {
    name: 'committed-local: 2f+1 commits',
    points: 2,
    description: 'committedLocal holds when prepared and 2f+1 distinct matching commits are in the log (OSDI §4.2).',
    run() {
      checkPredicate('committedLocal', committedCases);
    },
  },
  {
    name: 'NEW-VIEW: the highest view wins',
    points: 2,
    description: 'computeNewView picks, at each seq, the prepared request of the highest view (OSDI §4.4).',
    run() {
      checkNewView(highestCases);
    },
  },
  {
    name: 'NEW-VIEW: min-s, max-s and null requests',
    points: 2,
    description: 'computeNewView spans (min-s, max-s] and fills every gap with a null request (OSDI §4.4).',
    run() {
      checkNewView(gapCases);
    },
  },
  {
    name: 'committed-local: 2f+1 commits, in a run',
    points: 2,
    description: 'A scripted run (pbftCommitQuorumScenario, seeds 1-6): an equivocating primary and cuts leave one replica prepared at seq 1 with only f+1 commits, then cut it off; the next views give seq 1 to another request. No honest replica may have executed the first one (OSDI §4.2, §4.5.1).',
    run(ctx) {
      scenario(ctx, COMMITTED, 'pbftCommitQuorumScenario', pbftCommitQuorumScenario, 'r3 held only f+1 commits: committed-local needs 2f+1, so that f+1 correct replicas prepared the request and any view-change quorum carries its certificate (OSDI §4.2)');
    },
  },
  {
    name: 'NEW-VIEW: the highest view wins, in a run',
    points: 2,
    description: 'A scripted run (pbftOldCertificateScenario, seeds 1-6): one replica holds a view-0 certificate for seq 1 while the others executed another request at seq 1 in a later view; the next NEW-VIEW reads both certificates and must re-propose the later one (OSDI §4.4).',
    run(ctx) {
      scenario(ctx, NEWVIEW_HIGHEST, 'pbftOldCertificateScenario', pbftOldCertificateScenario, 'a request prepared in an old view may have lost its seq to one committed in a later view: at each seq NEW-VIEW takes the prepared certificate of the highest view (OSDI §4.4). This run starts like the commit-quorum one: if "committed-local: 2f+1 commits, in a run" fails too, fix that first');
    },
  },
  {
    name: 'safety and liveness with a Byzantine replica',
    points: 3,
    timeoutMs: 60_000,
    description: 'Seeds 1-40, f = 1: up to one Byzantine replica (silent, equivocate, double-assign, partial-preprepare, bad-mac, lying-view-change), loss, duplication, reordering and a partition, then healing: no two honest replicas execute different requests at a seq, and every operation completes.',
    run(ctx) {
      sweep(ctx, ctx.seeds(40), true);
    },
  },
  {
    name: 'more seeds, and f = 2',
    points: 2,
    hidden: true,
    timeoutMs: 60_000,
    description: 'Seeds 41-100 with f = 1, and seeds 1-10 with f = 2 (7 replicas, up to two Byzantine).',
    run(ctx) {
      const seeds = ctx.seeds(100);
      sweep(ctx, seeds.length === 1 ? seeds : seeds.filter((s) => s > 40), true);
      sweep(ctx, seeds.length === 1 ? seeds : seeds.slice(0, 10), true, 2);
    },
  },
]);
