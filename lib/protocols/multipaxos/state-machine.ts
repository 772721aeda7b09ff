import { NodeId } from '../../core';
import { Command } from './messages';

/**
 * The replicated state machine (复制状态机; Lamport §3: "a collection of servers, each
 * independently implementing the state machine", executing the commands in slot order): a
 * key-value store of strings with put, append and get, the object the linearizability checker
 * knows (lib/checkers/linearizability/kv.ts), plus a session table for exactly-once execution.
 */
export interface KvStateMachine {
  /** The store: key -> string; an absent key reads as ''. */
  store: Record<string, string>;
  /**
   * Per client, the last command executed and its result (Raft §8 and PMMC §3 do the same):
   * clients have one command outstanding at a time, so a command with a `seq` at or below the
   * last one was executed already, and executing it again would apply a put or append twice.
   */
  sessions: Record<NodeId, { seq: number; result: string | null }>;
}

/** What applying one command did: executed now, or found to be a duplicate of an earlier slot. */
export interface ApplyOutcome {
  executed: boolean;
  /** get: the value read; put and append: null. For a duplicate: the first execution's result (null if unknown). */
  result: string | null;
}

/** An empty store with no sessions. */
export function emptyStateMachine(): KvStateMachine {
  return { store: {}, sessions: {} };
}

/**
 * Applies one decided command, at most once per (client, seq): a retried command that got a
 * second slot is skipped there and answered with the first result. Mutates `machine`.
 *
 * @example
 *   const m = emptyStateMachine();
 *   applyCommand(m, { client: 'c1', seq: 1, op: 'append', key: 'x', value: 'a' }); // { executed: true, result: null }
 *   applyCommand(m, { client: 'c1', seq: 1, op: 'append', key: 'x', value: 'a' }); // { executed: false, result: null }
 *   m.store.x; // 'a'
 */
export function applyCommand(machine: KvStateMachine, command: Command): ApplyOutcome {
  const session = machine.sessions[command.client];
  if (session !== undefined && command.seq <= session.seq) {
    return { executed: false, result: command.seq === session.seq ? session.result : null };
  }
  let result: string | null = null;
  switch (command.op) {
    case 'put':
      machine.store[command.key] = command.value ?? '';
      break;
    case 'append':
      machine.store[command.key] = (machine.store[command.key] ?? '') + (command.value ?? '');
      break;
    case 'get':
      result = machine.store[command.key] ?? '';
      break;
  }
  machine.sessions[command.client] = { seq: command.seq, result };
  return { executed: true, result };
}
