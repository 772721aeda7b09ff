import { strict as assert } from 'assert';
import { ConfigError } from '../../lib/core';
import {
  Block,
  brokenPowRules,
  chainWork,
  chooseChain,
  confirmationsNeeded,
  easyLongFork,
  equalWorkTie,
  exactAttackerSuccess,
  extendChain,
  forkRateRows,
  genesisBlock,
  leadingZeroBits,
  measureAttempts,
  mine,
  nakamotoAttackerSuccess,
  nextBits,
  powCluster,
  powHash,
  retargetRows,
  simulateAttack,
  verifyProof,
} from '../../lib/protocols/pow';

/** The first nonce from `start` with d zero bits, by the plainest scan there is. */
function naiveScan(header: string, d: number, start: number, budget: number): number | null {
  for (let n = start; n < start + budget; n++) {
    const bits = BigInt('0x' + powHash(header, n)).toString(2).padStart(256, '0');
    if (bits.startsWith('0'.repeat(d))) return n;
  }
  return null;
}

describe('Proof of work (Nakamoto, Bitcoin, 2008)', () => {
  describe('the puzzle (§4)', () => {
    it('leadingZeroBits counts bits, not hex digits or bytes', () => {
      const cases: [string, number][] = [['ff', 0], ['7f', 1], ['3f', 2], ['1f', 3], ['0f', 4], ['08', 4], ['07', 5], ['00ff', 8], ['001f', 11], ['0000', 16]];
      for (const [hex, bits] of cases) assert.equal(leadingZeroBits(hex), bits, `leadingZeroBits('${hex}')`);
    });

    it('powHash is SHA-256 of header|nonce, deterministic', () => {
      assert.equal(powHash('abc', 1), powHash('abc', 1));
      assert.notEqual(powHash('abc', 1), powHash('abc', 2));
      assert.match(powHash('abc', 1), /^[0-9a-f]{64}$/);
    });

    it('mine returns the first qualifying nonce counting up from startNonce (the contract, checked by a naive scan)', () => {
      for (const d of [0, 1, 3, 5, 8, 10]) {
        for (const start of [0, 12345, 2 ** 32 - 3]) {
          const header = `h${d}-${start}`;
          const expected = naiveScan(header, d, start, 64 * 2 ** d);
          const r = mine(header, d, start, 64 * 2 ** d);
          assert.ok(r !== null && expected !== null, `header ${header}, d ${d}: a proof within 64 * 2^d attempts`);
          assert.equal(r.nonce, expected, `header ${header}, d ${d}, start ${start}`);
          assert.equal(r.attempts, r.nonce - start + 1);
          assert.equal(r.hash, powHash(header, r.nonce));
          assert.ok(verifyProof(header, r.nonce, d));
        }
      }
      assert.equal(mine('x', 0, 7, 1)?.nonce, 7, 'difficulty 0: the start nonce itself');
      const none = naiveScan('y', 12, 0, 3);
      assert.equal(none, null, 'test precondition: no 12-bit proof among nonces 0..2 of "y"');
      assert.equal(mine('y', 12, 0, 3), null, 'no proof within the budget: null');
    });

    it('measureAttempts: the mean attempts track 2^d (seed 1, 100 trials each)', () => {
      const rows = measureAttempts({ seed: 1, difficulties: [0, 4, 8, 12], trials: 100 });
      for (const r of rows) {
        assert.equal(r.expectedAttempts, 2 ** r.difficulty);
        assert.equal(r.found, r.trials, `seed 1, d ${r.difficulty}: every search found a proof`);
        // Attempts are geometric with mean and sd about 2^d: 100 trials give a standard error of ~10%.
        assert.ok(r.ratio > 0.6 && r.ratio < 1.4, `seed 1, d ${r.difficulty}: mean ${r.meanAttempts} vs expected ${r.expectedAttempts}`);
      }
      assert.deepEqual(measureAttempts({ seed: 1, difficulties: [6], trials: 10 }), measureAttempts({ seed: 1, difficulties: [6], trials: 10 }), 'same seed, same rows');
    });

    it('broken zeroBytes: its proofs fail verification and take far fewer attempts than 2^d', () => {
      const r = brokenPowRules.zeroBytes.mine('z', 12, 0, 1 << 20);
      assert.ok(r !== null);
      const valid = Array.from({ length: 20 }, (_, i) => brokenPowRules.zeroBytes.mine(`z${i}`, 12, 0, 1 << 20)).filter((x, i) => x !== null && verifyProof(`z${i}`, x.nonce, 12)).length;
      assert.ok(valid < 10, `only about 1 in 16 of its 12-bit "proofs" is valid, got ${valid} of 20`);
      const [row] = measureAttempts({ seed: 2, difficulties: [12], trials: 40, mine: brokenPowRules.zeroBytes.mine });
      assert.ok(row.ratio < 0.25, `seed 2: zeroBytes needs ~2^8 attempts for 12 bits, mean ${row.meanAttempts}`);
    });
  });

  describe('chains and fork choice (§4, §5)', () => {
    const g = genesisBlock(10);
    const retarget = { targetIntervalMs: 1000, retargetEvery: 2, maxFactor: 4 };
    const heavy = extendChain([g], 3, 1000, 'a', retarget);
    const light = extendChain([g], 5, 4000, 'b', retarget);

    it('work is the sum of 2^bits, genesis excluded; a retarget after slow blocks lowers the bits', () => {
      assert.equal(chainWork(heavy), 3 * 1024);
      assert.deepEqual(light.map((b) => b.bits), [10, 10, 8, 8, 6, 6]);
      assert.equal(chainWork(light), 1024 + 256 + 256 + 64 + 64);
    });

    it('chooseChain: most work, not most blocks; ties keep the first seen', () => {
      assert.equal(chooseChain([light, heavy]), 1);
      assert.equal(chooseChain([heavy, light]), 0);
      const twin = extendChain([g], 3, 1000, 'c', retarget);
      assert.equal(chooseChain([heavy, twin]), 0);
      assert.equal(chooseChain([twin, heavy]), 0);
      assert.equal(chooseChain([[g], twin, heavy]), 1);
      assert.equal(brokenPowRules.longestChain.chooseChain([heavy, light]), 1, 'the longest-chain slip picks the easy chain');
      assert.equal(brokenPowRules.switchOnTie.chooseChain([heavy, twin]), 1, 'the switch-on-tie slip leaves the first seen');
    });

    it('nextBits: retarget at multiples of N by expected/actual span, clamped to maxFactor', () => {
      const opts = { targetIntervalMs: 1000, retargetEvery: 4, maxFactor: 4 };
      const fast = extendChain([genesisBlock(10)], 3, 500, 'f', opts);
      assert.equal(nextBits(fast, opts), 11, 'blocks twice too fast: twice the work');
      const slow = extendChain([genesisBlock(10)], 3, 100_000, 's', opts);
      assert.equal(nextBits(slow, opts), 8, 'clamped to a factor 4');
      assert.equal(nextBits(fast.slice(0, 3), opts), 10, 'no retarget off the boundary');
    });

    it('a scripted observer: easyLongFork and equalWorkTie tell the reference from each broken rule', () => {
      assert.equal(easyLongFork().follows, 0);
      assert.equal(easyLongFork(brokenPowRules.longestChain).follows, 1);
      assert.equal(equalWorkTie().follows, 0);
      assert.equal(equalWorkTie().observer.reorgs, 0);
      assert.equal(equalWorkTie(brokenPowRules.switchOnTie).follows, 1);
    });
  });

  describe('miners on the simulator (§5)', () => {
    it('every miner agrees on one most-work chain after draining, on every seed (1-8)', () => {
      for (let seed = 1; seed <= 8; seed++) {
        const c = powCluster({ seed, hashRatePerMs: [1, 2, 3, 4], network: { latency: { kind: 'uniform', minMs: 50, maxMs: 250 } } });
        c.run(100_000);
        c.drain();
        const s = c.stats();
        assert.ok(s.agreed, `seed ${seed}: miners disagree after draining; replay powCluster({ seed: ${seed}, ... })`);
        assert.ok(s.blocksMined > 50, `seed ${seed}: ${s.blocksMined} blocks in 100 intervals`);
        const main = c.chain();
        for (const id of c.miners) {
          const blocks = Object.values(c.miner(id).state.blocks) as Block[];
          for (const b of blocks) assert.ok(b.height < main.length || b.hash === main[b.height]?.hash, `seed ${seed}: a block above the main tip`);
        }
        assert.ok(s.meanIntervalMs > 700 && s.meanIntervalMs < 1400, `seed ${seed}: mean interval ${s.meanIntervalMs}`);
      }
    });

    it('same seed, same run', () => {
      const a = powCluster({ seed: 'det', network: { latency: { kind: 'constant', ms: 100 } } });
      const b = powCluster({ seed: 'det', network: { latency: { kind: 'constant', ms: 100 } } });
      a.run(30_000);
      b.run(30_000);
      assert.deepEqual(a.stats(), b.stats());
      assert.equal(a.chain().map((x) => x.hash).join(), b.chain().map((x) => x.hash).join());
    });

    it('the stale rate grows with delay / interval and stays near 1 - exp(-delay/interval) (seed 1)', () => {
      const rows = forkRateRows({ seed: 1, delaysMs: [0, 100, 500], intervalMs: 1000, blocks: 300 });
      assert.equal(rows[0].staleBlocks, 0, 'seed 1: no delay, no forks');
      assert.ok(rows[1].staleRate > 0 && rows[1].staleRate < rows[2].staleRate, `seed 1: ${rows.map((r) => r.staleRate).join(', ')}`);
      for (const r of rows.slice(1)) assert.ok(Math.abs(r.staleRate - r.predicted) < 0.1, `seed 1, delay ${r.delayMs}: stale ${r.staleRate} vs predicted ${r.predicted}`);
    });

    it('switchOnTie: many more reorgs than keeping the first seen (seed 1, 200 ms delay)', () => {
      const [ref] = forkRateRows({ seed: 1, delaysMs: [200], blocks: 200 });
      const [bad] = forkRateRows({ seed: 1, delaysMs: [200], blocks: 200, rules: brokenPowRules.switchOnTie });
      assert.ok(bad.reorgs > 2 * ref.reorgs, `seed 1: reorgs ${bad.reorgs} (switchOnTie) vs ${ref.reorgs} (reference)`);
    });

    it('a partition forks the chain; after healing the lighter side reorganises onto the heavier (seed 3)', () => {
      const c = powCluster({ seed: 3, hashRatePerMs: [1, 1, 1, 1, 1], partition: { atMs: 5_000, healAtMs: 40_000, groups: [['m1', 'm2', 'm3'], ['m4', 'm5']] } });
      c.run(40_000);
      const tips = new Set(c.miners.map((id) => c.miner(id).state.tip));
      assert.ok(tips.size >= 2, 'seed 3: two branches during the partition');
      c.run(45_000);
      c.drain();
      const s = c.stats();
      assert.ok(s.agreed, `seed 3: miners disagree after healing: ${c.summary()}`);
      assert.ok(s.maxReorgDepth >= 3, `seed 3: the minority side dropped its branch (deepest reorg ${s.maxReorgDepth})`);
    });

    it('retargeting pulls the interval back after the hash rate quadruples (seed 1, N = 20)', () => {
      const c = powCluster({ seed: 1, retargetEvery: 20, hashRateChanges: [{ atMs: 40_000, miner: 'm1', hashRatePerMs: 16 }] });
      c.run(400_000);
      const rows = retargetRows(c);
      const before = rows[0].bits;
      const late = rows.slice(-6);
      const meanLate = late.reduce((s, r) => s + r.meanIntervalMs, 0) / late.length;
      assert.ok(Math.abs(late[late.length - 1].bits - before - 2) < 0.6, `seed 1: bits ${before} -> ${late[late.length - 1].bits}, expected about +2 (4x the hash rate)`);
      assert.ok(meanLate > 700 && meanLate < 1400, `seed 1: late mean interval ${meanLate} ms`);
      const jump = rows.find((r) => r.meanIntervalMs < 500);
      assert.ok(jump, 'seed 1: blocks came faster right after the jump');
    });

    it('bad configuration throws ConfigError naming the field', () => {
      assert.throws(() => powCluster({ seed: 1, hashRatePerMs: [] }), ConfigError);
      assert.throws(() => powCluster({ seed: 1, retargetEvery: 1 }), /retargetEvery/);
      assert.throws(() => powCluster({ seed: 1, hashRatePerMs: [0, 0] }), /sum is > 0/);
      assert.throws(() => powCluster({ seed: 1, bogus: 1 } as never), ConfigError);
      assert.throws(() => measureAttempts({ seed: 1, difficulties: [40] }), /at most 24/);
      assert.throws(() => simulateAttack({ seed: 1, q: 0.6, z: 1 }), ConfigError);
    });
  });

  describe("the attacker's race (§11)", () => {
    it("nakamotoAttackerSuccess reproduces the paper's tables to 7 decimals", () => {
      const q01 = [1.0, 0.2045873, 0.0509779, 0.0131722, 0.0034552, 0.0009137, 0.0002428, 0.0000647, 0.0000173, 0.0000046, 0.0000012];
      q01.forEach((p, z) => assert.equal(nakamotoAttackerSuccess(0.1, z).toFixed(7), p.toFixed(7), `q=0.1 z=${z}`));
      const q03: [number, number][] = [[0, 1.0], [5, 0.1773523], [10, 0.0416605], [15, 0.0101008], [20, 0.0024804], [25, 0.0006132], [30, 0.0001522], [35, 0.0000379], [40, 0.0000095], [45, 0.0000024], [50, 0.0000006]];
      for (const [z, p] of q03) assert.equal(nakamotoAttackerSuccess(0.3, z).toFixed(7), p.toFixed(7), `q=0.3 z=${z}`);
      assert.equal(nakamotoAttackerSuccess(0.5, 10), 1);
    });

    it('confirmationsNeeded reproduces "solving for P less than 0.1%"', () => {
      const table: [number, number][] = [[0.1, 5], [0.15, 8], [0.2, 11], [0.25, 15], [0.3, 24], [0.35, 41], [0.4, 89], [0.45, 340]];
      for (const [q, z] of table) assert.equal(confirmationsNeeded(q), z, `q=${q}`);
    });

    it('exactAttackerSuccess: z=1 gives 2q by hand (the attacker wins the next block, or loses it and wins the catch-up)', () => {
      for (const q of [0.05, 0.1, 0.3]) assert.ok(Math.abs(exactAttackerSuccess(q, 1) - 2 * q) < 1e-12, `q=${q}`);
      assert.equal(exactAttackerSuccess(0.2, 0), 1);
    });

    it('simulation agrees with the formula of its model within 4 standard errors (seed 1, 20000 trials)', () => {
      for (const [q, z] of [[0.1, 1], [0.1, 2], [0.3, 2], [0.3, 5], [0.2, 4]]) {
        const race = simulateAttack({ seed: 1, q, z, trials: 20_000 });
        assert.ok(Math.abs(race.simulated - race.exact) <= 4 * Math.max(race.standardError, 1e-3), `seed 1, race q=${q} z=${z}: ${race.simulated} vs exact ${race.exact}`);
        const paper = simulateAttack({ seed: 1, q, z, trials: 20_000, model: 'paper' });
        assert.ok(Math.abs(paper.simulated - paper.formula) <= 4 * Math.max(paper.standardError, 1e-3), `seed 1, paper q=${q} z=${z}: ${paper.simulated} vs formula ${paper.formula}`);
      }
    });

    it("the paper's Poisson approximation underestimates the exact race at q=0.3, z=5 (simulation tells them apart, seed 1)", () => {
      const r = simulateAttack({ seed: 1, q: 0.3, z: 5, trials: 40_000 });
      assert.ok(r.exact - r.formula > 0.015, `exact ${r.exact} vs formula ${r.formula}`);
      assert.ok(Math.abs(r.simulated - r.exact) < Math.abs(r.simulated - r.formula), `seed 1: simulated ${r.simulated} is nearer the exact ${r.exact} than the formula ${r.formula}`);
    });
  });
});
