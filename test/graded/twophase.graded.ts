/**
 * Graded tests of the two-phase / three-phase commit exercise (exercises/twophase.ts).
 * Unit cases check each rule's contract; seeded sweeps run the whole protocol with the
 * learner's rules inside, under loss, duplication, reordering, partitions and crashes.
 */
import { GradedFailure, gradedSuite, implementation } from '../../lib/grade';
import type { NodeId } from '../../lib/core';
import {
  chaosRun,
  CommitRules,
  coordinatorCrashAfterPrepare,
  describeMap,
  ParticipantLogRecord,
  ThreePhaseState,
  threePhaseWithoutCoordinator,
  Vote,
} from '../../lib/protocols/twophase';

type Exercise = typeof import('../../solutions/twophase');

/** The learner's rules (or the reference, with --target solutions). */
function rules(): CommitRules {
  const module = implementation<Exercise>('twophase');
  return {
    coordinatorDecision: module.coordinatorDecision,
    participantRecovery: module.participantRecovery,
    terminationDecision: module.terminationDecision,
  };
}

function votes(entries: [NodeId, Vote | undefined][]): Map<NodeId, Vote | undefined> {
  return new Map(entries);
}

function expectRule<T>(rule: string, input: string, got: T, expected: T, why: string): void {
  if (got !== expected) {
    throw new GradedFailure({
      invariant: rule,
      message: `${rule}(${input}) returned ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`,
      hint: why,
    });
  }
}

const voteYes = (txn = 't1'): ParticipantLogRecord => ({ type: 'vote', txn, vote: 'yes', coordinator: 'c', participants: ['p1', 'p2', 'p3'] });
const voteNo = (txn = 't1'): ParticipantLogRecord => ({ type: 'vote', txn, vote: 'no', coordinator: 'c', participants: ['p1', 'p2', 'p3'] });

export default gradedSuite('twophase', [
  {
    name: 'coordinator commits only on a unanimous yes',
    points: 2,
    description: 'coordinatorDecision: all yes -> commit; any no -> abort, even before every vote is in (Gray 1978; BHG §7.4).',
    run() {
      const { coordinatorDecision } = rules();
      const why = 'a participant that voted no may already have aborted: one NO vote decides abort';
      expectRule('coordinatorDecision', 'p1=yes p2=yes p3=yes, timedOut=false', coordinatorDecision(votes([['p1', 'yes'], ['p2', 'yes'], ['p3', 'yes']]), false), 'commit', 'every participant voted yes: commit');
      expectRule('coordinatorDecision', 'p1=yes p2=no p3=yes, timedOut=false', coordinatorDecision(votes([['p1', 'yes'], ['p2', 'no'], ['p3', 'yes']]), false), 'abort', why);
      expectRule('coordinatorDecision', 'p1=no p2=- p3=-, timedOut=false', coordinatorDecision(votes([['p1', 'no'], ['p2', undefined], ['p3', undefined]]), false), 'abort', why);
      expectRule('coordinatorDecision', 'p1=yes, timedOut=false', coordinatorDecision(votes([['p1', 'yes']]), false), 'commit', 'one participant that voted yes is a unanimous yes');
    },
  },
  {
    name: 'coordinator waits for missing votes, then aborts at the timeout',
    points: 2,
    description: 'coordinatorDecision: a missing vote -> wait before the timeout, abort after it; never commit without every YES.',
    run() {
      const { coordinatorDecision } = rules();
      expectRule('coordinatorDecision', 'p1=yes p2=- p3=yes, timedOut=false', coordinatorDecision(votes([['p1', 'yes'], ['p2', undefined], ['p3', 'yes']]), false), 'wait', 'p2 may still vote: keep collecting until the timeout');
      expectRule('coordinatorDecision', 'p1=yes p2=- p3=yes, timedOut=true', coordinatorDecision(votes([['p1', 'yes'], ['p2', undefined], ['p3', 'yes']]), true), 'abort', 'a vote missing at the timeout: p2 may have aborted unilaterally, so abort');
      expectRule('coordinatorDecision', 'p1=- p2=- p3=-, timedOut=true', coordinatorDecision(votes([['p1', undefined], ['p2', undefined], ['p3', undefined]]), true), 'abort', 'no votes at the timeout (e.g. after a coordinator restart): abort');
      expectRule('coordinatorDecision', 'p1=yes p2=yes p3=yes, timedOut=true', coordinatorDecision(votes([['p1', 'yes'], ['p2', 'yes'], ['p3', 'yes']]), true), 'commit', 'every vote is yes: a late timeout does not change that');
    },
  },
  {
    name: 'participant recovery: a logged outcome stands, in doubt it asks',
    points: 3,
    description: 'participantRecovery: outcome logged -> that outcome; voted yes without outcome -> ask; voted no or never voted -> abort (BHG §7.4).',
    run() {
      const { participantRecovery } = rules();
      const inDoubt = 'after a YES vote the participant promised to follow the coordinator, who may have decided commit: it must ask, never abort alone';
      expectRule('participantRecovery', '[] (never heard of the transaction)', participantRecovery([]), 'abort', 'without its YES nobody can commit: abort unilaterally');
      expectRule('participantRecovery', '[vote no]', participantRecovery([voteNo()]), 'abort', 'it voted no, so the outcome is abort');
      expectRule('participantRecovery', '[vote yes]', participantRecovery([voteYes()]), 'ask', inDoubt);
      expectRule('participantRecovery', '[vote yes, precommit]', participantRecovery([voteYes(), { type: 'precommit', txn: 't1' }]), 'ask', inDoubt);
      expectRule('participantRecovery', '[vote yes, outcome commit]', participantRecovery([voteYes(), { type: 'outcome', txn: 't1', outcome: 'commit' }]), 'commit', 'the outcome is in the log: it stands');
      expectRule('participantRecovery', '[vote yes, outcome abort]', participantRecovery([voteYes(), { type: 'outcome', txn: 't1', outcome: 'abort' }]), 'abort', 'the outcome is in the log: it stands');
      expectRule('participantRecovery', '[vote no, outcome abort]', participantRecovery([voteNo(), { type: 'outcome', txn: 't1', outcome: 'abort' }]), 'abort', 'the outcome is in the log: it stands');
    },
  },
  {
    name: '3PC termination rule TR1-TR4',
    points: 2,
    description: 'terminationDecision: any aborted -> abort; any committed or precommitted -> commit; all uncertain -> abort (Skeen 1981; BHG §7.5).',
    run() {
      const { terminationDecision } = rules();
      const cases: [[NodeId, ThreePhaseState][], 'commit' | 'abort', string][] = [
        [[['p1', 'uncertain'], ['p2', 'uncertain']], 'abort', 'TR3: all uncertain proves nobody committed (commit needs everyone precommitted)'],
        [[['p1', 'uncertain'], ['p2', 'precommitted']], 'commit', 'TR4: someone precommitted, so everyone voted yes and the coordinator chose commit'],
        [[['p1', 'committed'], ['p2', 'uncertain']], 'commit', 'TR2: someone committed: everyone must'],
        [[['p1', 'aborted'], ['p2', 'uncertain']], 'abort', 'TR1: someone aborted: everyone must'],
        [[['p1', 'precommitted']], 'commit', 'alone and precommitted: the classic 3PC timeout commits'],
        [[['p1', 'uncertain']], 'abort', 'alone and uncertain: the classic 3PC timeout aborts'],
      ];
      for (const [states, expected, why] of cases) {
        const map = new Map(states);
        expectRule('terminationDecision', describeMap(map), terminationDecision(map), expected, why);
      }
    },
  },
  {
    name: '2PC atomicity under loss, duplication, partitions and crashes',
    points: 4,
    timeoutMs: 60000,
    description: 'The whole 2PC protocol with your rules, 60 seeded fault schedules: no transaction may commit at one participant and abort at another.',
    run(ctx) {
      const learnerRules = rules();
      for (const seed of ctx.seeds(60)) {
        const result = chaosRun(seed, { rules: learnerRules });
        if (!result.atomicity.ok) {
          throw new GradedFailure({
            invariant: result.atomicity.invariant,
            message: result.atomicity.message,
            seed,
            timeMs: Math.max(result.atomicity.committed.timeMs, result.atomicity.aborted.timeMs),
            hint: 'look at how a participant that voted yes recovers (participantRecovery) and when the coordinator may commit (coordinatorDecision)',
          });
        }
      }
    },
  },
  {
    name: '2PC ends every transaction after the faults stop',
    points: 3,
    timeoutMs: 60000,
    description: 'Liveness: 60 seeded fault schedules; after the network heals and every node is back, each transaction ends at each participant within 1.5 s.',
    run(ctx) {
      const learnerRules = rules();
      for (const seed of ctx.seeds(60)) {
        const result = chaosRun(seed, { rules: learnerRules });
        if (!result.liveness.ok) {
          throw new GradedFailure({
            invariant: 'liveness',
            message: result.liveness.message,
            seed,
            timeMs: result.cluster.sim.now(),
            hint: "a participant that answers 'ask' forever, or a coordinator that keeps answering 'wait' after its timeout, never finishes",
          });
        }
      }
    },
  },
  {
    name: '2PC blocks while the coordinator is down, then finishes',
    points: 2,
    hidden: true,
    description: 'The coordinator crashes after sending Prepare: prepared participants must hold their locks until it returns (no unilateral decision), then all abort.',
    run(ctx) {
      const learnerRules = rules();
      for (const seed of ctx.seeds(10)) {
        const downtimeMs = 400;
        const result = coordinatorCrashAfterPrepare(seed, downtimeMs, { rules: learnerRules });
        for (const txn of result.outcomes) {
          for (const p of Object.values(txn.participants)) {
            if (p.status === 'aborted' && p.vote === 'yes' && p.outcomeAtMs !== null && p.outcomeAtMs < downtimeMs) {
              throw new GradedFailure({
                invariant: 'blocking (a prepared participant decided alone)',
                message: `${p.node} aborted ${txn.txn} at ${p.outcomeAtMs} ms while the coordinator was down`,
                seed,
                timeMs: p.outcomeAtMs,
                hint: 'a participant that voted yes is in doubt: it must ask and wait, whatever the delay',
              });
            }
          }
        }
        if (!result.atomicity.ok) {
          throw new GradedFailure({ invariant: result.atomicity.invariant, message: result.atomicity.message, seed });
        }
      }
    },
  },
  {
    name: '3PC finishes without its coordinator',
    points: 2,
    description: 'The coordinator crashes after PreCommit (or after CanCommit): the participants elect a recovery coordinator and all commit (or all abort), using your terminationDecision.',
    run(ctx) {
      const learnerRules = rules();
      for (const seed of ctx.seeds(10)) {
        for (const [when, expected] of [['after-pre-commit', 'commit'], ['after-can-commit', 'abort']] as const) {
          const result = threePhaseWithoutCoordinator(seed, when, { rules: learnerRules });
          if (!result.atomicity.ok) {
            throw new GradedFailure({ invariant: result.atomicity.invariant, message: result.atomicity.message, seed });
          }
          for (const txn of result.outcomes) {
            for (const p of Object.values(txn.participants)) {
              const ended = p.status === 'committed' ? 'commit' : p.status === 'aborted' ? 'abort' : null;
              if (ended !== expected) {
                throw new GradedFailure({
                  invariant: '3PC termination',
                  message: `coordinator crashed ${when.replace(/-/g, ' ')}: ${p.node} ended ${txn.txn} with ${ended ?? 'no outcome'} (${p.status}), expected ${expected}`,
                  seed,
                  hint: expected === 'commit' ? 'someone was precommitted: the rule must commit (TR4)' : 'everyone was uncertain: the rule must abort (TR3)',
                });
              }
            }
          }
        }
      }
    },
  },
]);
