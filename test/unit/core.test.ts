import { strict as assert } from 'assert';
import { ConfigError, RandomStreams, StableHash, canonicalJson, copyData, stableHash } from '../../lib/core';

describe('core', () => {
  describe('StableHash (FNV-1a 64)', () => {
    it('matches a BigInt reference implementation', () => {
      for (const text of ['', 'a', 'hello world', 'consensus\nlab', 'x'.repeat(1000)]) {
        let h = 0xcbf29ce484222325n;
        for (const byte of Buffer.from(text, 'latin1')) {
          h ^= BigInt(byte);
          h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
        }
        assert.equal(new StableHash().update(text).digest(), h.toString(16).padStart(16, '0'), `text ${JSON.stringify(text.slice(0, 20))}`);
      }
    });

    it('hashes objects by content, not key order', () => {
      assert.equal(stableHash({ a: 1, b: [1, 2] }), stableHash({ b: [1, 2], a: 1 }));
      assert.notEqual(stableHash({ a: 1 }), stableHash({ a: 2 }));
      assert.equal(canonicalJson({ b: 1, a: { d: 1, c: 2 } }), '{"a":{"c":2,"d":1},"b":1}');
    });
  });

  describe('RandomStreams', () => {
    it('gives the same sequence for the same seed and stream name', () => {
      const a = new RandomStreams(42).stream('network');
      const b = new RandomStreams(42).stream('network');
      const xs = Array.from({ length: 5 }, () => a.next());
      assert.deepEqual(Array.from({ length: 5 }, () => b.next()), xs);
    });

    it('keeps streams independent: using one does not shift another', () => {
      const one = new RandomStreams(7);
      one.stream('workload').next();
      one.stream('workload').next();
      const two = new RandomStreams(7);
      assert.equal(one.stream('network').next(), two.stream('network').next());
    });

    it('differs between seeds and between names', () => {
      assert.notEqual(new RandomStreams(1).stream('x').next(), new RandomStreams(2).stream('x').next());
      assert.notEqual(new RandomStreams(1).stream('x').next(), new RandomStreams(1).stream('y').next());
    });

    it('draws exponential samples with the right mean', () => {
      const r = new RandomStreams(3).stream('e');
      let sum = 0;
      const n = 20000;
      for (let i = 0; i < n; i++) sum += r.exponential(5);
      assert.ok(Math.abs(sum / n - 5) < 0.2, `mean ${sum / n}`);
    });

    it('refuses a non-finite seed', () => {
      assert.throws(() => new RandomStreams(NaN), (e: Error) => e instanceof ConfigError && /seed must be/.test(e.message));
    });
  });

  describe('copyData', () => {
    it('copies deeply so that the copy shares nothing', () => {
      const original = { a: [1, { b: 2 }], m: new Map([[1, 2]]) };
      const copy = copyData(original);
      assert.deepEqual(copy, original);
      (copy.a[1] as { b: number }).b = 3;
      assert.equal((original.a[1] as { b: number }).b, 2);
      assert.notEqual(copy.m, original.m);
      assert.equal(copy.m.get(1), 2);
    });
  });
});
