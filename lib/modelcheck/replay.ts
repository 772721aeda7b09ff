import { NodeId, TraceEvent, canonicalJson, copyData } from '../core';
import type { ModelStep } from './explore';
import { StepKind, Successors, unpackStep } from './successors';
import { Effect, Outcome } from './runner';

/**
 * Turns a counterexample's packed steps into what a reader needs: the steps as plain data,
 * trace events (step i at i ms; a crash at i + 0.25 ms and the restart at i + 0.5 ms, so the
 * space-time diagram shades the outage), and one line of text per step. It walks the same
 * transition relation as the search (the memoized outcomes), so the trace is the run the
 * search found, effect for effect.
 */
export function replay<M, T, G>(model: Successors<M, T, G>, packed: readonly number[]): { steps: ModelStep[]; trace: TraceEvent[]; description: string[] } {
  const { runner, layout } = model;
  const nodes = runner.spec.nodes;
  const trace: TraceEvent[] = [];
  const steps: ModelStep[] = [];
  const description: string[] = [];
  let nextMsgId = 1;
  /** Sends not yet delivered or dropped, per message: [msgId, sentMs] (a set network delivers the first again). */
  const pending = new Map<number, { msgId: number; sentMs: number }[]>();
  const emit = (node: NodeId, effects: readonly Effect[], timeMs: number) => {
    for (const effect of effects) {
      if (effect.kind === 'send') {
        const { from, to, msg } = runner.messages.values[effect.message];
        const msgId = nextMsgId++;
        trace.push({ kind: 'send', timeMs, from, to, msgId, msg: copyData(msg) });
        const list = pending.get(effect.message) ?? [];
        list.push({ msgId, sentMs: timeMs });
        pending.set(effect.message, list);
      } else if (effect.kind === 'note') {
        const { text, data } = runner.notes.values[effect.note];
        trace.push({ kind: 'annotate', timeMs, node, text, data: copyData(data) });
      } else {
        trace.push({ kind: 'persist', timeMs, node, key: effect.key, value: copyData(effect.value) });
      }
    }
  };
  const restart = (i: number, out: Outcome, timeMs: number) => {
    trace.push({ kind: 'crash', timeMs: timeMs + 0.25, node: nodes[i] });
    trace.push({ kind: 'restart', timeMs: timeMs + 0.5, node: nodes[i] });
    emit(nodes[i], out.effects, timeMs + 0.5);
  };

  for (const node of nodes) trace.push({ kind: 'start', timeMs: 0, node });
  let state = model.initial();
  for (let i = 0; i < nodes.length; i++) emit(nodes[i], runner.start(i, 0).effects, 0);

  for (const step of packed) {
    const timeMs = steps.length + 1;
    const { kind, a, b } = unpackStep(step);
    if (kind === StepKind.Timer) {
      const timer = runner.timers.values[b];
      steps.push({ kind: 'timer', node: nodes[a], timer: copyData(timer) });
      description.push(`${timeMs}. timer ${canonicalJson(timer)} fires at ${nodes[a]}`);
      trace.push({ kind: 'timer', timeMs, node: nodes[a], timer: copyData(timer) });
      emit(nodes[a], runner.fire(a, state[layout.state(a)], state[layout.store(a)], b).effects, timeMs);
    } else if (kind === StepKind.Crash) {
      steps.push({ kind: 'crash', node: nodes[a] });
      description.push(`${timeMs}. ${nodes[a]} crashes and restarts from its durable store ${runner.stores.keys[state[layout.store(a)]]}`);
      restart(a, runner.start(a, state[layout.store(a)]), timeMs);
    } else {
      const { from, to, toIndex, msg } = runner.messages.values[a];
      const list = pending.get(a) ?? [];
      const removes = model.network === 'multiset' && (kind === StepKind.Drop || !model.duplication);
      const sent = (removes ? list.shift() : list[0]) ?? { msgId: 0, sentMs: 0 };
      const base = { timeMs, from, to, msgId: sent.msgId, sentMs: sent.sentMs, msg: copyData(msg) };
      const text = `${from} -> ${to} ${canonicalJson(msg)}`;
      if (kind === StepKind.Drop) {
        steps.push({ kind: 'drop', from, to, msg: copyData(msg) });
        description.push(`${timeMs}. lose ${text}`);
        trace.push({ kind: 'drop', ...base, reason: 'loss' });
      } else {
        trace.push({ kind: 'deliver', ...base });
        const out = runner.deliver(toIndex, state[layout.state(toIndex)], state[layout.store(toIndex)], a);
        if (kind === StepKind.Deliver) {
          steps.push({ kind: 'deliver', from, to, msg: copyData(msg) });
          description.push(`${timeMs}. deliver ${text}`);
          emit(to, out.effects, timeMs);
        } else {
          const cut = out.cuts[b - 1];
          const kept = out.effects.slice(0, cut.effects);
          const lost = out.effects.slice(cut.effects);
          steps.push({ kind: 'deliver', from, to, msg: copyData(msg), crashAfterEffects: cut.effects });
          description.push(`${timeMs}. deliver ${text}; ${to} crashes after ${describeEffects(model, kept)}, before ${describeEffects(model, lost)}, and restarts from its durable store`);
          emit(to, kept, timeMs);
          restart(toIndex, runner.start(toIndex, cut.store), timeMs);
        }
      }
    }
    const next = model.apply(state, step);
    if (next === null) throw new Error(`model checker: replay of step ${steps.length} changed nothing (a bug in the checker)`);
    state = next;
  }
  return { steps, trace, description };
}

function describeEffects<M, T, G>(model: Successors<M, T, G>, effects: readonly Effect[]): string {
  const parts: string[] = [];
  for (const e of effects) {
    if (e.kind === 'send') {
      const { to, msg } = model.runner.messages.values[e.message];
      parts.push(`sending ${messageType(msg)} to ${to}`);
    } else if (e.kind === 'persist') {
      parts.push(`persisting ${JSON.stringify(e.key)}`);
    }
  }
  return parts.length === 0 ? 'nothing' : parts.join(', ');
}

function messageType(msg: unknown): string {
  return msg && typeof msg === 'object' && 'type' in msg ? String((msg as { type: unknown }).type) : canonicalJson(msg);
}
