import { strict as assert } from 'assert';
import { BudgetExceededError, ConfigError, NodeId, TraceEvent } from '../../lib/core';
import { Context, EventQueue, ProtocolNode, Simulator, meanLatencyMs, sampleLatencyMs, LatencyModel, randomFaultScript, FaultStep } from '../../lib/sim';
import { PingNode } from '../../lib/protocols/ping';
import { RandomStreams } from '../../lib/core';

type Msg = { type: 'Data'; n: number };
type Timer = { type: 'Tick'; n: number };

/** Records what it receives; sends `count` numbered messages to `to` at start. */
class Recorder implements ProtocolNode<Msg, Timer> {
  received: number[] = [];
  ticks: number[] = [];
  constructor(private readonly to: NodeId | null = null, private readonly count = 0) {}
  init(ctx: Context<Msg, Timer>): void {
    for (let n = 0; n < this.count; n++) ctx.send(this.to as NodeId, { type: 'Data', n });
  }
  onMessage(_from: NodeId, msg: Msg): void {
    this.received.push(msg.n);
  }
  onTimer(timer: Timer): void {
    this.ticks.push(timer.n);
  }
}

/** Counts ticks; persists the count every tick, keeps a volatile copy too. */
class Counter implements ProtocolNode<never, Timer> {
  volatile = 0;
  durable = 0;
  init(ctx: Context<never, Timer>): void {
    this.durable = ctx.load<number>('count') ?? 0;
    ctx.setTimer({ type: 'Tick', n: 0 }, 10);
  }
  onMessage(): void {}
  onTimer(timer: Timer, ctx: Context<never, Timer>): void {
    this.volatile++;
    this.durable++;
    ctx.persist('count', this.durable);
    ctx.setTimer({ type: 'Tick', n: timer.n + 1 }, 10);
  }
}

function pingRun(seed: number) {
  const sim = new Simulator({ seed, network: { dropRate: 0.2, duplicateRate: 0.1, latency: { kind: 'exponential', meanMs: 4 } } });
  sim.addNode('a', () => new PingNode('b', 20));
  sim.addNode('b', () => new PingNode(null));
  sim.schedule([
    { atMs: 100, action: 'crash', node: 'b' },
    { atMs: 200, action: 'restart', node: 'b' },
    { atMs: 300, action: 'partition', groups: [['a'], ['b']] },
    { atMs: 400, action: 'heal' },
  ]);
  sim.run({ untilMs: 600 });
  return sim;
}

describe('simulator', () => {
  describe('EventQueue', () => {
    it('orders by time, then by insertion order for ties', () => {
      const q = new EventQueue<string>();
      q.push(10, 'b1');
      q.push(5, 'a');
      q.push(10, 'b2');
      q.push(10, 'b3');
      q.push(1, 'first');
      const out: string[] = [];
      for (let x = q.pop(); x !== undefined; x = q.pop()) out.push(x);
      assert.deepEqual(out, ['first', 'a', 'b1', 'b2', 'b3']);
    });

    it('agrees with a sort by (time, seq) on random input', () => {
      const r = new RandomStreams(1).stream('q');
      const q = new EventQueue<number>();
      const expected: [number, number][] = [];
      for (let i = 0; i < 2000; i++) {
        const t = r.int(0, 50);
        q.push(t, i);
        expected.push([t, i]);
      }
      expected.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      assert.deepEqual(Array.from({ length: 2000 }, () => q.pop()), expected.map((e) => e[1]));
    });
  });

  describe('determinism', () => {
    it('gives the same trace, byte for byte, for the same seed', () => {
      const one = pingRun(11);
      const two = pingRun(11);
      assert.equal(one.trace.hash(), two.trace.hash());
      assert.equal(JSON.stringify(one.trace.events), JSON.stringify(two.trace.events));
      assert.ok(one.trace.length > 50);
    });

    it('gives a different trace for another seed', () => {
      assert.notEqual(pingRun(11).trace.hash(), pingRun(12).trace.hash());
    });

    it('keeps a running hash equal to the recorded trace hash', () => {
      const recorded = pingRun(5).trace.hash();
      const sim = new Simulator({ seed: 5, recordTrace: false, hashTrace: true, network: { dropRate: 0.2, duplicateRate: 0.1, latency: { kind: 'exponential', meanMs: 4 } } });
      sim.addNode('a', () => new PingNode('b', 20));
      sim.addNode('b', () => new PingNode(null));
      sim.schedule([
        { atMs: 100, action: 'crash', node: 'b' },
        { atMs: 200, action: 'restart', node: 'b' },
        { atMs: 300, action: 'partition', groups: [['a'], ['b']] },
        { atMs: 400, action: 'heal' },
      ]);
      sim.run({ untilMs: 600 });
      assert.equal(sim.trace.hash(), recorded);
      assert.equal(sim.trace.events.length, 0);
    });
  });

  describe('network', () => {
    it('loses about dropRate of the messages', () => {
      const sim = new Simulator({ seed: 1, network: { dropRate: 0.3 } });
      sim.addNode('a', () => new Recorder('b', 5000));
      sim.addNode('b', () => new Recorder());
      sim.run();
      const got = sim.node<Recorder>('b')!.received.length;
      assert.ok(got > 3300 && got < 3700, `received ${got} of 5000 at dropRate 0.3`);
      assert.equal(sim.trace.ofKind('drop').filter((d) => d.reason === 'loss').length, 5000 - got);
    });

    it('duplicates about duplicateRate of the messages, same msgId', () => {
      const sim = new Simulator({ seed: 2, network: { duplicateRate: 0.2 } });
      sim.addNode('a', () => new Recorder('b', 5000));
      sim.addNode('b', () => new Recorder());
      sim.run();
      const extra = sim.node<Recorder>('b')!.received.length - 5000;
      assert.ok(extra > 850 && extra < 1150, `${extra} duplicates at rate 0.2`);
      const ids = sim.trace.ofKind('deliver').map((d) => d.msgId);
      assert.equal(new Set(ids).size, 5000);
    });

    it('reorders under random latency, and keeps order with fifo', () => {
      const run = (fifo: boolean) => {
        const sim = new Simulator({ seed: 3, network: { latency: { kind: 'uniform', minMs: 1, maxMs: 50 }, fifo } });
        sim.addNode('a', () => new Recorder('b', 200));
        sim.addNode('b', () => new Recorder());
        sim.run();
        return sim.node<Recorder>('b')!.received;
      };
      const sorted = Array.from({ length: 200 }, (_, i) => i);
      assert.notDeepEqual(run(false), sorted);
      assert.deepEqual(run(true), sorted);
    });

    it('reorders under constant latency with reorderRate', () => {
      const sim = new Simulator({ seed: 4, network: { latency: { kind: 'constant', ms: 1 }, reorderRate: 0.5, reorderDelayMs: 10 } });
      sim.addNode('a', () => new Recorder('b', 100));
      sim.addNode('b', () => new Recorder());
      sim.run();
      const got = sim.node<Recorder>('b')!.received;
      assert.equal(got.length, 100);
      assert.notDeepEqual(got, [...got].sort((x, y) => x - y));
    });

    it('drops messages across a partition and delivers again after heal', () => {
      const sim = new Simulator({ seed: 1 });
      for (const id of ['a', 'b', 'c']) sim.addNode(id, () => new Recorder());
      sim.run();
      sim.partition([['a'], ['b', 'c']]);
      sim.inject('a', { type: 'Data', n: 0 }, 'b');
      sim.at(1, () => {
        const ctxSend = (from: NodeId, to: NodeId, n: number) => sim.inject(to, { type: 'Data', n }, from);
        ctxSend('c', 'b', 1);
      });
      sim.run();
      assert.deepEqual(sim.node<Recorder>('b')!.received, [1]);
      assert.deepEqual(sim.node<Recorder>('a')!.received, []);
      assert.equal(sim.trace.ofKind('drop')[0].reason, 'partition');
      sim.heal();
      sim.inject('a', { type: 'Data', n: 2 }, 'b');
      sim.run();
      assert.deepEqual(sim.node<Recorder>('a')!.received, [2]);
    });

    it('cuts one direction only', () => {
      const sim = new Simulator({ seed: 1 });
      sim.addNode('a', () => new PingNode('b', 0));
      sim.addNode('b', () => new PingNode(null));
      sim.cut('b', 'a'); // pongs are lost, pings arrive
      sim.run({ untilMs: 100 });
      assert.equal(sim.trace.ofKind('deliver').filter((d) => d.to === 'b').length, 1);
      assert.equal(sim.trace.ofKind('drop').filter((d) => d.reason === 'cut' && d.from === 'b').length, 1);
    });

    it('samples latency models with the right means', () => {
      const rng = new RandomStreams(9).stream('lat');
      const models: LatencyModel[] = [
        { kind: 'constant', ms: 3 },
        { kind: 'uniform', minMs: 2, maxMs: 8 },
        { kind: 'exponential', meanMs: 4, minMs: 1 },
        { kind: 'pareto', xmMs: 1, alpha: 3 },
        { kind: 'mixture', parts: [{ weight: 0.9122, model: { kind: 'pareto', xmMs: 0.235, alpha: 10 } }, { weight: 0.0878, model: { kind: 'exponential', meanMs: 1 / 1.66 } }] },
      ];
      for (const model of models) {
        let sum = 0;
        const n = 40000;
        for (let i = 0; i < n; i++) sum += sampleLatencyMs(model, rng);
        const mean = meanLatencyMs(model);
        assert.ok(Math.abs(sum / n - mean) < 0.03 * mean + 0.01, `${model.kind}: sample mean ${sum / n}, expected ${mean}`);
      }
    });
  });

  describe('nodes, crashes and timers', () => {
    it('loses volatile state and timers in a crash, keeps what was persisted', () => {
      const sim = new Simulator({ seed: 1 });
      sim.addNode('c', () => new Counter());
      sim.run({ untilMs: 55 }); // ticks at 10..50
      assert.equal(sim.node<Counter>('c')!.volatile, 5);
      sim.crash('c');
      assert.equal(sim.node('c'), null);
      sim.run({ untilMs: 200 }); // no ticks while down
      assert.equal(sim.trace.ofKind('timer').length, 5);
      sim.restart('c');
      sim.run({ untilMs: 235 });
      const c = sim.node<Counter>('c')!;
      assert.equal(c.volatile, 3);
      assert.equal(c.durable, 8);
      assert.deepEqual(sim.durable('c').get('count'), 8);
    });

    it('drops messages to a crashed node', () => {
      const sim = new Simulator({ seed: 1 });
      sim.addNode('a', () => new Recorder());
      sim.run();
      sim.crash('a');
      sim.inject('a', { type: 'Data', n: 1 });
      sim.run();
      assert.equal(sim.trace.ofKind('drop')[0].reason, 'crashed');
    });

    it('crashes a node in mid-handler right after an armed send: later sends, writes and timers never happen', () => {
      type Reply = { type: 'Ack' | 'Note'; n: number };
      /** On each Data: sends Note, sends Ack, persists n, sets a timer: the effects in that order. */
      class ReplyThenPersist implements ProtocolNode<Msg | Reply, Timer> {
        onMessage(from: NodeId, msg: Msg | Reply, ctx: Context<Msg | Reply, Timer>): void {
          ctx.send(from, { type: 'Note', n: msg.n });
          ctx.send(from, { type: 'Ack', n: msg.n });
          ctx.persist('n', msg.n);
          ctx.setTimer({ type: 'Tick', n: msg.n }, 5);
        }
        onTimer(): void {}
      }
      const sim = new Simulator({ seed: 1 });
      sim.addNode('a', () => new ReplyThenPersist());
      sim.addNode('b', () => new Recorder());
      sim.run();
      sim.inject('a', { type: 'Data', n: 1 }, 'b');
      sim.run();
      assert.equal(sim.durable('a').get('n'), 1);
      sim.schedule([{ atMs: sim.now(), action: 'crash-after-send', node: 'a', msgType: 'Ack' }]);
      sim.run();
      sim.inject('a', { type: 'Data', n: 2 }, 'b');
      sim.run();
      assert.equal(sim.isUp('a'), false);
      assert.deepEqual(sim.trace.ofKind('send').filter((e) => e.from === 'a').map((e) => `${(e.msg as Reply).type}${(e.msg as Reply).n}`), ['Note1', 'Ack1', 'Note2', 'Ack2']);
      assert.equal(sim.durable('a').get('n'), 1, 'the write after the Ack never happened');
      assert.equal(sim.trace.ofKind('timer').filter((e) => (e.timer as Timer).n === 2).length, 0);
      sim.restart('a');
      sim.run();
      assert.equal(sim.trace.ofKind('timer').length, 1, 'the timer set after the crash point does not fire after the restart either');
      assert.throws(() => sim.crashAfterNextSend('a', { msgType: '' }), /crashAfterNextSend msgType must be a non-empty string/);
    });

    it('holds messages and timers while paused and handles them in order on resume', () => {
      const sim = new Simulator({ seed: 1, network: { latency: { kind: 'constant', ms: 1 } } });
      sim.addNode('b', () => new Recorder());
      sim.addNode('a', () => new Recorder('b', 3));
      sim.at(0, () => sim.pause('b'));
      sim.run({ untilMs: 50 });
      assert.deepEqual(sim.node<Recorder>('b')!.received, []);
      sim.resume('b');
      sim.run();
      assert.deepEqual(sim.node<Recorder>('b')!.received, [0, 1, 2]);
      assert.equal(sim.trace.ofKind('deliver')[0].timeMs, 50);
    });

    it('ignores a cancelled timer', () => {
      class Canceller implements ProtocolNode<never, Timer> {
        fired: number[] = [];
        init(ctx: Context<never, Timer>) {
          const id = ctx.setTimer({ type: 'Tick', n: 1 }, 5);
          ctx.setTimer({ type: 'Tick', n: 2 }, 6);
          ctx.cancelTimer(id);
        }
        onMessage() {}
        onTimer(t: Timer) {
          this.fired.push(t.n);
        }
      }
      const sim = new Simulator({ seed: 1 });
      sim.addNode('x', () => new Canceller());
      sim.run();
      assert.deepEqual(sim.node<Canceller>('x')!.fired, [2]);
    });

    it('copies messages so that sender and receiver share nothing', () => {
      type M = { type: 'List'; items: number[] };
      class Sender implements ProtocolNode<M, never> {
        items = [1, 2];
        init(ctx: Context<M, never>) {
          ctx.send('r', { type: 'List', items: this.items });
          this.items.push(3);
        }
        onMessage() {}
        onTimer() {}
      }
      class Receiver implements ProtocolNode<M, never> {
        got: number[] = [];
        onMessage(_f: NodeId, m: M) {
          this.got = m.items;
        }
        onTimer() {}
      }
      const sim = new Simulator({ seed: 1 });
      sim.addNode('r', () => new Receiver());
      sim.addNode('s', () => new Sender());
      sim.run();
      assert.deepEqual(sim.node<Receiver>('r')!.got, [1, 2]);
    });

    it('records client histories', () => {
      class Client implements ProtocolNode<never, Timer> {
        init(ctx: Context<never, Timer>) {
          const op = ctx.invoke('c1', 'write', 5);
          ctx.setTimer({ type: 'Tick', n: op }, 3);
        }
        onMessage() {}
        onTimer(t: Timer, ctx: Context<never, Timer>) {
          ctx.complete(t.n, 'ok', 5);
        }
      }
      const sim = new Simulator({ seed: 1 });
      sim.addNode('client', () => new Client());
      sim.run();
      assert.deepEqual(
        sim.history.map((h) => [h.type, h.f, h.value, h.timeMs]),
        [
          ['invoke', 'write', 5, 0],
          ['ok', 'write', 5, 3],
        ],
      );
    });
  });

  describe('randomFaultScript', () => {
    const options = {
      crashCandidates: ['a1', 'a2', 'a3', 'a4', 'a5'],
      crashes: [3, 6] as [number, number],
      downMs: [50, 300] as [number, number],
      partitions: true,
      partitionNodes: ['a1', 'a2', 'a3', 'a4', 'a5'],
      partitionMs: [20, 200] as [number, number],
      healAtMs: 1000,
      faultWindowFraction: 0.7,
      downLimit: { group: ['a1', 'a2', 'a3', 'a4', 'a5'], limit: 2 },
    };

    it('is the same script for the same seed, and ends healed and reliable', () => {
      const one = randomFaultScript(new RandomStreams(3).stream('chaos-faults'), options);
      const two = randomFaultScript(new RandomStreams(3).stream('chaos-faults'), options);
      assert.deepEqual(one, two);
      assert.deepEqual(one.slice(-2).map((s) => s.action), ['heal', 'configure']);
    });

    it('never has more than downLimit nodes of the group down at once, nor a node crashed twice', () => {
      for (let seed = 1; seed <= 200; seed++) {
        const steps: FaultStep[] = randomFaultScript(new RandomStreams(seed).stream('chaos-faults'), options);
        const down = new Set<string>();
        for (const step of steps) {
          if (step.action === 'crash') {
            assert.ok(!down.has(step.node), `seed ${seed}: ${step.node} crashed while down`);
            down.add(step.node);
            assert.ok(down.size <= 2, `seed ${seed}: ${[...down].join(', ')} down at ${step.atMs} ms`);
          } else if (step.action === 'restart') {
            down.delete(step.node);
          }
        }
      }
    });
  });

  describe('runUntilEvent', () => {
    it('stops right after the first matching event from now on, and returns it', () => {
      const sim = new Simulator({ seed: 7 });
      sim.addNode('a', () => new PingNode('b', 20));
      sim.addNode('b', () => new PingNode(null));
      const isPongSend = (e: TraceEvent) => e.kind === 'send' && e.from === 'b';
      const first = sim.runUntilEvent(isPongSend, { maxTimeMs: 1000 });
      assert.ok(first !== null && first.kind === 'send');
      assert.equal(sim.trace.events[sim.trace.events.length - 1].kind, 'send', 'the run stops after the handler that sent it');
      // events already in the trace do not count: the next call finds a later pong
      const second = sim.runUntilEvent(isPongSend, { maxTimeMs: 1000 });
      assert.ok(second !== null && second.timeMs > first.timeMs, `second pong at ${second?.timeMs} ms, first at ${first.timeMs} ms`);
      // a match that never comes: null at the time limit with 'stop', an error without
      assert.equal(sim.runUntilEvent((e) => e.kind === 'crash', { maxTimeMs: sim.now() + 100, atTimeLimit: 'stop' }), null);
      assert.throws(() => sim.runUntilEvent((e) => e.kind === 'crash', { maxTimeMs: sim.now() + 100 }), /within/);
    });
  });

  describe('budgets and bad input', () => {
    it('stops a runaway run with an error that names the seed', () => {
      const sim = new Simulator({ seed: 99 });
      sim.addNode('a', () => new PingNode('b', 0));
      sim.addNode('b', () => new PingNode(null));
      assert.throws(
        () => sim.runUntil(() => false, { maxEvents: 1000 }),
        (e: Error) => e instanceof BudgetExceededError && /1000 events/.test(e.message) && /seed 99/.test(e.message),
      );
      assert.throws(() => sim.runUntil(() => false, { maxTimeMs: 50 }), /within 50 ms of virtual time/);
      assert.throws(() => sim.run({ maxEvents: 10 }), BudgetExceededError);
    });

    it('runUntil returns true when the condition holds and false when the run goes quiet', () => {
      const sim = new Simulator({ seed: 1 });
      sim.addNode('a', () => new PingNode('b', 0));
      sim.addNode('b', () => new PingNode(null));
      assert.equal(sim.runUntil(() => (sim.node<PingNode>('a')?.pongs ?? 0) >= 3), true);
      assert.equal(sim.node<PingNode>('a')!.pongs, 3);
      const quiet = new Simulator({ seed: 1 });
      quiet.addNode('x', () => new Recorder());
      assert.equal(quiet.runUntil(() => false), false);
    });

    it("runUntil past maxTimeMs throws, or with atTimeLimit 'stop' moves the clock to the limit and returns false", () => {
      const make = () => {
        const sim = new Simulator({ seed: 1, network: { latency: { kind: 'constant', ms: 10 } } });
        sim.addNode('a', () => new PingNode('b', 0));
        sim.addNode('b', () => new PingNode(null));
        return sim;
      };
      assert.throws(() => make().runUntil(() => false, { maxTimeMs: 35 }), /within 35 ms of virtual time/);
      const stopped = make();
      assert.equal(stopped.runUntil(() => false, { maxTimeMs: 35, atTimeLimit: 'stop' }), false);
      assert.equal(stopped.now(), 35);
      assert.equal(stopped.node<PingNode>('a')!.pongs, 1, 'the pong at 20 ms arrived; the next one is due at 40 ms');
    });

    const bad: [string, () => unknown, RegExp][] = [
      ['a loss rate above 1', () => new Simulator({ seed: 1, network: { dropRate: 1.5 } }), /network\.dropRate must be a number in \[0, 1\], got 1\.5/],
      ['a negative loss rate', () => new Simulator({ seed: 1, network: { dropRate: -0.1 } }), /dropRate must be a number in \[0, 1\]/],
      ['a negative delay', () => new Simulator({ seed: 1, network: { latency: { kind: 'constant', ms: -5 } } }), /network\.latency\.ms must be a number >= 0, got -5/],
      ['a uniform range upside down', () => new Simulator({ seed: 1, network: { latency: { kind: 'uniform', minMs: 5, maxMs: 1 } } }), /latency\.maxMs must be a number >= 5/],
      ['an unknown latency kind', () => new Simulator({ seed: 1, network: { latency: { kind: 'normal' } as unknown as LatencyModel } }), /latency\.kind must be one of/],
      ['an unknown option', () => new Simulator({ seed: 1, network: { droprate: 0.1 } as never }), /network\.droprate must be one of the known options/],
      ['a missing seed', () => new Simulator({} as never), /seed must be a number or a string/],
    ];
    for (const [what, make, message] of bad) {
      it(`refuses ${what}`, () => {
        assert.throws(make, (e: Error) => e instanceof ConfigError && message.test(e.message));
      });
    }

    it('refuses an unknown node in a partition, a cut or a fault script', () => {
      const sim = new Simulator({ seed: 1 });
      sim.addNode('a', () => new Recorder());
      assert.throws(() => sim.partition([['a'], ['zz']]), /partition: node must be one of the nodes \(a\), got "zz"/);
      assert.throws(() => sim.cut('a', 'zz'), /got "zz"/);
      assert.throws(() => sim.schedule([{ atMs: 5, action: 'crash', node: 'q' }]), /steps\[0\]\.node must be one of the nodes/);
      assert.throws(() => sim.schedule([{ atMs: -1, action: 'heal' }]), /steps\[0\]\.atMs must be a number >= 0/);
      assert.throws(() => sim.at(-5, () => {}), /atMs must be/);
    });

    it('refuses a send to an unknown node with the sender named', () => {
      const sim = new Simulator({ seed: 1 });
      sim.addNode('a', () => new Recorder('nobody', 1));
      assert.throws(() => sim.run(), /a sent a message to must be one of the nodes/);
    });
  });
});
