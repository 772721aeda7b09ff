import { createHash } from 'crypto';
import { assertNever, canonicalJson, NodeId } from '../../core';
import type { Context, ProtocolNode } from '../../sim';
import { Block, Chain, PowRules, RetargetOptions, genesisBlock, nextBits, resolvePowRules } from './chain';

/**
 * A miner of Nakamoto consensus on the simulator (Nakamoto 2008, §5 "Network"): it mines on the
 * tip of the chain its fork-choice rule picks, broadcasts every block it finds, and switches
 * to another branch as soon as the rule prefers it.
 *
 * The mining model. Each hash succeeds with probability 2^-bits independently, so with a hash
 * rate of h hashes per ms the number of hashes until success is geometric and the time until
 * a block is, to a very good approximation, exponential with mean 2^bits / h ms. A miner
 * therefore draws its next block time from `ctx.rng.exponential(2^bits / h)` instead of
 * hashing. The exponential is memoryless, so when the miner moves to a new tip (or its hash
 * rate changes) it just draws a fresh time: nothing is lost by restarting. With miners i of
 * rates h_i the network finds blocks at total rate sum(h_i) / 2^bits, and miner i finds the
 * next one with probability h_i / sum(h_j) (its share of the hash power). Real SHA-256
 * searches are in puzzle.ts (`mine`, `measureAttempts`).
 */

/**
 * Messages (Nakamoto §5, steps 2 and 5: "new transactions/blocks are broadcast to all nodes").
 * - `Block`: a block found (or re-sent on request).
 * - `GetBlock`: asks a peer for a block whose child arrived first (after a partition heals,
 *   or when a child overtakes its parent on the network).
 * - `SetHashRate`: from the environment (a scenario): the miner's hash rate changes now.
 */
export type PowMessage =
  | { type: 'Block'; block: Block }
  | { type: 'GetBlock'; hash: string }
  | { type: 'SetHashRate'; hashRatePerMs: number };

/** The miner's one timer: it found a block on the tip it was mining when `attempt` began. */
export type PowTimer = { type: 'BlockFound'; attempt: number };

/** All of a miner's state, plain data. */
export interface MinerState {
  /** Every block it has connected to its tree, by hash (genesis included). */
  blocks: Record<string, Block>;
  /** Blocks whose parent it has not seen yet, by the parent's hash. */
  orphans: Record<string, Block[]>;
  /** The tip of the chain it follows and mines on. */
  tip: string;
  hashRatePerMs: number;
  /** Counts mining restarts; a BlockFound timer from an earlier attempt is stale. */
  attempt: number;
  /** Blocks it found itself. */
  mined: number;
  /** Times it switched to a chain that does not extend its old tip, and the deepest such switch. */
  reorgs: number;
  maxReorgDepth: number;
  /** Blocks rejected (wrong height or difficulty). */
  rejected: number;
}

/** Options of a miner. */
export interface MinerOptions {
  hashRatePerMs: number;
  /** Difficulty of genesis (and so of the first blocks), in bits. */
  initialBits: number;
  retarget: RetargetOptions;
  rules?: Partial<PowRules>;
}

/** The chain from genesis to `tip` in a miner's block tree. */
export function chainTo(blocks: Readonly<Record<string, Block>>, tip: string): Block[] {
  const out: Block[] = [];
  let b: Block | undefined = blocks[tip];
  while (b !== undefined) {
    out.push(b);
    b = b.parent === '' ? undefined : blocks[b.parent];
  }
  return out.reverse();
}

/** A block's id: SHA-256 of its other fields (deterministic, so the same seed gives the same ids). */
export function blockId(fields: Omit<Block, 'hash'>, salt: string): string {
  return createHash('sha256').update(canonicalJson(fields) + salt).digest('hex').slice(0, 16);
}

/**
 * A miner node (Nakamoto §5): steps 3-6 of "Network" with simulated hashing (see above).
 *
 * @example
 *   sim.addNode('m1', () => new Miner({ hashRatePerMs: 1, initialBits: 10, retarget: { targetIntervalMs: 1000, retargetEvery: 0 } }));
 */
export class Miner implements ProtocolNode<PowMessage, PowTimer> {
  state: MinerState;
  private readonly rules: PowRules;

  constructor(private readonly options: MinerOptions, state?: MinerState) {
    this.rules = resolvePowRules(options.rules);
    const genesis = genesisBlock(options.initialBits);
    this.state = state ?? { blocks: { [genesis.hash]: genesis }, orphans: {}, tip: genesis.hash, hashRatePerMs: options.hashRatePerMs, attempt: 0, mined: 0, reorgs: 0, maxReorgDepth: 0, rejected: 0 };
  }

  /** The chain this miner follows now. */
  chain(): Block[] {
    return chainTo(this.state.blocks, this.state.tip);
  }

  init(ctx: Context<PowMessage, PowTimer>): void {
    this.startMining(ctx);
  }

  onMessage(from: NodeId, msg: PowMessage, ctx: Context<PowMessage, PowTimer>): void {
    switch (msg.type) {
      case 'Block':
        return this.receive(from, msg.block, ctx);
      case 'GetBlock': {
        const block = this.state.blocks[msg.hash];
        if (block !== undefined && block.height > 0) ctx.send(from, { type: 'Block', block });
        return;
      }
      case 'SetHashRate':
        this.state.hashRatePerMs = msg.hashRatePerMs;
        return this.startMining(ctx);
      default:
        return assertNever(msg, 'message');
    }
  }

  onTimer(timer: PowTimer, ctx: Context<PowMessage, PowTimer>): void {
    if (timer.type !== 'BlockFound') return assertNever(timer.type, 'timer');
    if (timer.attempt !== this.state.attempt) return; // stale: the miner moved to another tip
    const chain = this.chain();
    const parent = chain[chain.length - 1];
    const fields = { parent: parent.hash, height: parent.height + 1, bits: nextBits(chain, this.options.retarget), miner: ctx.id, timeMs: ctx.now() };
    const block: Block = { hash: blockId(fields, `${ctx.id}#${this.state.mined}`), ...fields };
    this.state.mined++;
    this.state.blocks[block.hash] = block;
    this.state.tip = block.hash; // it extends our own tip: strictly more work
    ctx.annotate('mined', { hash: block.hash, height: block.height, bits: block.bits });
    ctx.broadcast({ type: 'Block', block });
    this.startMining(ctx);
  }

  /** Draws the time to the next block on the current tip (memoryless: a restart loses nothing). */
  private startMining(ctx: Context<PowMessage, PowTimer>): void {
    this.state.attempt++;
    if (!(this.state.hashRatePerMs > 0)) return;
    const bits = nextBits(this.chain(), this.options.retarget);
    ctx.setTimer({ type: 'BlockFound', attempt: this.state.attempt }, ctx.rng.exponential(2 ** bits / this.state.hashRatePerMs));
  }

  /** Connects a received block (and any orphans waiting for it), then runs the fork choice. */
  private receive(from: NodeId, block: Block, ctx: Context<PowMessage, PowTimer>): void {
    const s = this.state;
    if (s.blocks[block.hash] !== undefined) return;
    if (s.blocks[block.parent] === undefined) {
      const waiting = (s.orphans[block.parent] ??= []);
      if (!waiting.some((b) => b.hash === block.hash)) waiting.push(block);
      ctx.send(from, { type: 'GetBlock', hash: block.parent });
      return;
    }
    const connected: Block[] = [];
    const queue = [block];
    while (queue.length > 0) {
      const b = queue.shift() as Block;
      const parentChain = chainTo(s.blocks, b.parent);
      if (b.height !== parentChain.length || b.bits !== nextBits(parentChain, this.options.retarget)) {
        s.rejected++;
        ctx.annotate('rejected', { hash: b.hash, height: b.height, bits: b.bits });
        continue;
      }
      s.blocks[b.hash] = b;
      connected.push(b);
      const children = s.orphans[b.hash];
      if (children !== undefined) {
        delete s.orphans[b.hash];
        queue.push(...children);
      }
    }
    let switched = false;
    for (const b of connected) {
      const current = this.chain();
      const candidate = chainTo(s.blocks, b.hash);
      const choice = this.rules.chooseChain([current, candidate]);
      if (choice !== 0 && choice !== 1) throw new Error(`chooseChain returned ${JSON.stringify(choice)} for 2 chains; it must return an index (0 or 1)`);
      if (choice === 0) continue;
      const oldTip = current[current.length - 1];
      if (candidate[oldTip.height]?.hash !== oldTip.hash) {
        let common = Math.min(oldTip.height, candidate.length - 1);
        while (candidate[common].hash !== current[common].hash) common--;
        s.reorgs++;
        s.maxReorgDepth = Math.max(s.maxReorgDepth, oldTip.height - common);
        ctx.annotate('reorg', { from: oldTip.hash, to: b.hash, depth: oldTip.height - common });
      }
      s.tip = b.hash;
      switched = true;
    }
    if (switched) this.startMining(ctx);
  }
}
