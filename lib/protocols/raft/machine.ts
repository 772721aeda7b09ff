import { StableHash, canonicalJson } from '../../core';

/**
 * The replicated state machine (§2, Figure 1): what a Raft server applies its committed
 * entries to, in log order. Pure and plain data, like the node: `apply` returns the new state
 * and the command's result (what the client is told); it must not mutate `state`. The state is
 * what a snapshot holds (§7), so it must survive `structuredClone`.
 */
export interface RaftStateMachine<S = unknown, C = unknown, R = unknown> {
  /** The state before any command. */
  init(): S;
  /** Applies `command`, committed at `index`. */
  apply(state: S, command: C, index: number): { state: S; result: R };
}

/** The digest machine's state: how many commands it applied and a hash chain over them. */
export interface DigestState {
  applied: number;
  digest: string;
}

/**
 * The default state machine: a running hash of the commands applied. Small (so snapshots stay
 * small) and exact (two servers that applied different commands, or the same in another order,
 * end with different digests), which is what the test harness needs. Result: the command.
 *
 * @example
 *   digestMachine.apply(digestMachine.init(), 101, 1).state; // { applied: 1, digest: '...' }
 */
export const digestMachine: RaftStateMachine<DigestState, unknown, unknown> = {
  init: () => ({ applied: 0, digest: '0' }),
  apply: (state, command) => ({
    state: { applied: state.applied + 1, digest: new StableHash().update(state.digest).update('|').update(canonicalJson(command)).digest() },
    result: command,
  }),
};
