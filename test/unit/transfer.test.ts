/** The shared money-transfer workload (lib/protocols/transfer) that XA and TCC both run. */
import { strict as assert } from 'assert';
import { ConfigError } from '../../lib/core';
import { totalMoney, transferWorkload } from '../../lib/protocols/transfer';

describe('transfer workload', () => {
  it('is the same for the same seed, and another for another seed', () => {
    const a = transferWorkload({ seed: 3, transfers: 50 });
    assert.deepEqual(transferWorkload({ seed: 3, transfers: 50 }), a);
    assert.notDeepEqual(transferWorkload({ seed: 4, transfers: 50 }).transfers, a.transfers);
  });

  it('moves money between the two stores, both ways, within the bounds asked for', () => {
    const w = transferWorkload({ seed: 1, transfers: 400, accountsPerStore: 3, maxAmount: 20, openingBalance: 500, meanGapMs: 2 });
    assert.equal(totalMoney(w.balances), 2 * 3 * 500);
    const directions = new Set(w.transfers.map((t) => `${t.from.store}->${t.to.store}`));
    assert.deepEqual([...directions].sort(), ['bank-a->bank-b', 'bank-b->bank-a']);
    for (const [i, t] of w.transfers.entries()) {
      assert.notEqual(t.from.store, t.to.store, `seed 1, ${t.id}: both ends in one store`);
      assert.ok(t.amount >= 1 && t.amount <= 20 && Number.isInteger(t.amount), `seed 1, ${t.id}: amount ${t.amount}`);
      assert.ok(t.from.account in w.balances[t.from.store] && t.to.account in w.balances[t.to.store], `seed 1, ${t.id}: unknown account`);
      if (i > 0) assert.ok(t.atMs >= w.transfers[i - 1].atMs, `seed 1, ${t.id}: submitted before the one before it`);
    }
    const meanGap = w.transfers[w.transfers.length - 1].atMs / (w.transfers.length - 1);
    assert.ok(meanGap > 1.6 && meanGap < 2.4, `mean gap ${meanGap} ms, asked for 2 ms`);
  });

  it('names the parameter that is wrong', () => {
    assert.throws(() => transferWorkload({ seed: 1, transfers: 0 }), (e: Error) => e instanceof ConfigError && /transfers must be/.test(e.message));
    assert.throws(() => transferWorkload({ seed: 1, transfers: 5, stores: ['x', 'x'] }), /stores must be two different/);
    assert.throws(() => transferWorkload({ seed: 1, transfers: 5, accountsPerStore: 0 }), /accountsPerStore must be/);
    assert.throws(() => transferWorkload({ seed: 1, transfers: 5, meanGapMs: -1 }), /meanGapMs must be/);
  });
});
