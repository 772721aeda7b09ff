import { strict as assert } from 'assert';
import { ConfigError } from '../../lib/core';
import {
  EmbeddedResourceManager,
  EmbeddedStore,
  MemoryTmLog,
  TmCrashed,
  WalRecord,
  XaDriver,
  XAER_DUPID,
  XAER_NOTA,
  XAER_PROTO,
  XA_OK,
  XA_RBINTEGRITY,
  XA_RBTIMEOUT,
  XA_RDONLY,
  brokenRecoveryRules,
  crashAtEachStep,
  makeXid,
  normalTransfer,
  parseXid,
  quietStoreEvents,
  recoveryDecision,
  runXaTransfers,
  smallBank,
  tmCrashBetweenPrepareAndCommit,
  xaChaosRun,
  xaCluster,
  xaCodeName,
  xidToString,
} from '../../lib/protocols/xa';

/** A store whose WAL is kept in an array, so a test can crash it and replay. */
function newStore(balances: Record<string, number> = { a0: 100, a1: 100 }) {
  const wal: WalRecord[] = [];
  const done: [string, number][] = [];
  const events = { ...quietStoreEvents, wal: (r: WalRecord) => wal.push(r), updateDone: (x: { gtrid: string }, code: number) => done.push([x.gtrid, code]) };
  return { store: EmbeddedStore.create(balances, events), wal, done, events };
}

const x1 = makeXid('tm.t1', 'bank-a');
const x2 = makeXid('tm.t2', 'bank-a');

describe('XA vocabulary', () => {
  it('an xid has a stable string form usable as a PostgreSQL GID, and parses back', () => {
    assert.equal(xidToString(x1), 'xa:17228:tm.t1:bank-a');
    assert.deepEqual(parseXid(xidToString(x1)), x1);
    assert.equal(parseXid('some other tool gid'), null);
    assert.equal(xaCodeName(XAER_PROTO), 'XAER_PROTO');
  });

  it('makeXid rejects parts that would make the string form ambiguous (ConfigError)', () => {
    assert.throws(() => makeXid('tm:t1', 'bank-a'), ConfigError);
    assert.throws(() => makeXid('', 'bank-a'), ConfigError);
  });
});

describe('the embedded store (row locks, WAL, XA state table)', () => {
  it('enforces the XA state table: prepare before end, commit of an active branch, duplicate start, unknown xid', () => {
    const { store } = newStore();
    assert.equal(store.prepare(x1), XAER_NOTA);
    assert.equal(store.start(x1, 0), XA_OK);
    assert.equal(store.start(x1, 0), XAER_DUPID);
    assert.equal(store.update(x1, 'a0', -10), XA_OK);
    assert.equal(store.prepare(x1), XAER_PROTO, 'xa_prepare before xa_end');
    assert.equal(store.commit(x1, false), XAER_PROTO, 'two-phase xa_commit of an active branch');
    assert.equal(store.end(x1), XA_OK);
    assert.equal(store.update(x1, 'a0', -10), XAER_PROTO, 'work after xa_end');
    assert.equal(store.commit(x1, false), XAER_PROTO, 'two-phase commit of an idle (unprepared) branch');
    assert.equal(store.prepare(x1), XA_OK);
    assert.equal(store.prepare(x1), XAER_PROTO, 'prepare twice');
    assert.equal(store.commit(x1, false), XA_OK);
    assert.equal(store.commit(x1, false), XAER_NOTA, 'committed and forgotten');
    assert.equal(store.start(x1, 0), XAER_DUPID, 'a finished xid cannot be started again');
    assert.deepEqual(store.balances(), { a0: 90, a1: 100 });
  });

  it('one-phase commit of an idle branch; a branch without writes prepares read-only', () => {
    const { store } = newStore();
    store.start(x1, 0);
    store.update(x1, 'a1', 5);
    store.end(x1);
    assert.equal(store.commit(x1, true), XA_OK);
    store.start(x2, 0);
    store.end(x2);
    assert.equal(store.prepare(x2), XA_RDONLY);
    assert.deepEqual(store.recover(), []);
    assert.deepEqual(store.balances(), { a0: 100, a1: 105 });
  });

  it('refuses a debit below zero (XA_RBINTEGRITY) and rolls the branch back', () => {
    const { store } = newStore();
    store.start(x1, 0);
    assert.equal(store.update(x1, 'a0', -101), XA_RBINTEGRITY);
    assert.equal(store.end(x1), XA_RBINTEGRITY);
    assert.deepEqual(store.heldLocks(), []);
    assert.equal(store.rollback(x1), XA_OK);
  });

  it('row locks: a second writer waits (FIFO) and gets the lock when the first commits', () => {
    const { store, done } = newStore();
    const x3 = makeXid('tm.t3', 'bank-a');
    for (const x of [x1, x2, x3]) store.start(x, 0);
    assert.equal(store.update(x1, 'a0', -10), XA_OK);
    assert.equal(store.update(x2, 'a0', -20), 'waiting');
    assert.equal(store.update(x3, 'a0', -30), 'waiting');
    assert.deepEqual(store.heldLocks()[0].waiters, [xidToString(x2), xidToString(x3)]);
    store.end(x1);
    store.prepare(x1);
    assert.deepEqual(done, [], 'a prepared branch still holds its lock');
    store.commit(x1, false);
    assert.deepEqual(done, [['tm.t2', XA_OK]], 'the first waiter got the lock');
    assert.equal(store.heldLocks()[0].holder, xidToString(x2));
  });

  it('lock-wait timeout: the waiter gives up (XA_RBTIMEOUT), so a distributed deadlock ends', () => {
    const { store, done } = newStore();
    store.start(x1, 0);
    store.start(x2, 0);
    store.update(x1, 'a0', -10);
    assert.equal(store.update(x2, 'a0', -10), 'waiting');
    store.lockWaitExpired(x2);
    assert.deepEqual(done, [['tm.t2', XA_RBTIMEOUT]]);
    assert.equal(store.end(x2), XA_RBTIMEOUT);
    assert.deepEqual(store.heldLocks().map((l) => l.waiters), [[]]);
  });

  it('crash and WAL replay: committed work is redone, a prepared branch comes back prepared with its row lock, an active one is gone', () => {
    const { store, wal, events } = newStore();
    store.start(x1, 0);
    store.update(x1, 'a0', -10);
    store.end(x1);
    store.prepare(x1);
    store.start(x2, 0);
    store.update(x2, 'a1', -20);
    const x3 = makeXid('tm.t3', 'bank-a');
    store.start(x3, 0);
    const after = EmbeddedStore.recover(wal, events, 100);
    assert.deepEqual(after.recover(), [x1]);
    assert.deepEqual(after.heldLocks(), [{ account: 'a0', holder: xidToString(x1), waiters: [] }]);
    assert.equal(after.end(x2), XAER_NOTA, 'the active branch was lost with the crash');
    assert.equal(after.start(x3, 100), XA_OK);
    assert.equal(after.update(x3, 'a0', -5), 'waiting', 'the recovered lock blocks others');
    assert.equal(after.commit(x1, false), XA_OK);
    const again = EmbeddedStore.recover(wal, events, 200);
    assert.deepEqual(again.balances(), { a0: 90, a1: 100 });
    assert.deepEqual(again.recover(), []);
  });
});

describe('the TM recovery decision (presumed abort)', () => {
  const a = makeXid('tm1.t0', 'bank-a');
  const b = makeXid('tm1.t0', 'bank-b');
  const foreign = makeXid('tm2.t9', 'bank-a');
  const commit = { type: 'commit' as const, gtrid: 'tm1.t0', branches: [{ rm: 'bank-a', xid: a }, { rm: 'bank-b', xid: b }] };

  it('commit record -> commit; no record -> rollback; foreign -> leave; end only when no branch is listed', () => {
    const withRecord = recoveryDecision({ tm: 'tm1', log: [commit], recovered: [{ rm: 'bank-a', xids: [a, foreign] }, { rm: 'bank-b', xids: [b] }] });
    assert.deepEqual(withRecord.branches.map((x) => x.action), ['commit', 'leave', 'commit']);
    assert.deepEqual(withRecord.end, []);
    const without = recoveryDecision({ tm: 'tm1', log: [], recovered: [{ rm: 'bank-a', xids: [a] }, { rm: 'bank-b', xids: [] }] });
    assert.deepEqual(without.branches.map((x) => x.action), ['rollback']);
    assert.deepEqual(recoveryDecision({ tm: 'tm1', log: [commit], recovered: [{ rm: 'bank-a', xids: [] }, { rm: 'bank-b', xids: [] }] }).end, ['tm1.t0']);
    assert.deepEqual(recoveryDecision({ tm: 'tm1', log: [commit], recovered: [{ rm: 'bank-a', xids: [] }, { rm: 'bank-b', xids: null }] }).end, [], 'bank-b did not answer');
  });
});

describe('XA on the simulator', function () {
  this.timeout(30000);

  it('a normal transfer commits at both banks, each row locked from its update to its commit', () => {
    const r = normalTransfer(1);
    assert.ok(r.check.ok, JSON.stringify(r.check));
    assert.match(r.summary, /t0 \(tm, 100 from a0 to b0\): bank-\w committed at [\d.]+ ms, bank-\w committed/);
    assert.deepEqual(r.cluster.balances(), { 'bank-a': { a0: 900, a1: 1000 }, 'bank-b': { b0: 1100, b1: 1000 } });
    assert.deepEqual(r.locks.map((l) => `${l.node}:${l.account}:${l.end}`).sort(), ['bank-a:a0:released', 'bank-b:b0:released']);
  });

  it('the TM crashes between prepare and commit: rows stay locked, t1 waits, recovery commits t0, then t1 commits (seed 1)', () => {
    const r = tmCrashBetweenPrepareAndCommit(1, 300);
    assert.ok(r.check.ok, `seed 1: ${JSON.stringify(r.check)}`);
    assert.ok(r.whileDown.includes('bank-a: row a0 locked by xa:17228:tm1.t0:bank-a (1 waiting)'), r.whileDown.join('\n'));
    assert.ok(r.whileDown.includes('bank-b: branch xa:17228:tm1.t0:bank-b prepared'), r.whileDown.join('\n'));
    const a0 = r.locks.filter((l) => l.account === 'a0');
    assert.equal(a0[0].txn, 'tm1.t0');
    assert.ok(a0[0].toMs >= r.restartAtMs, 'a0 held until tm1 came back');
    assert.equal(a0[1].txn, 'tm2.t1');
    assert.equal(a0[1].fromMs, a0[0].toMs, 't1 got a0 the moment t0 released it');
    assert.deepEqual(r.cluster.balances(), { 'bank-a': { a0: 850, a1: 1000 }, 'bank-b': { b0: 1100, b1: 1050 } });
  });

  it('a crash at each step: before the commit record the transfer rolls back, after it commits, nothing is left', () => {
    const rows = crashAtEachStep(1, 300);
    assert.deepEqual(rows.map((r) => r.outcome), ['rolled back', 'rolled back', 'rolled back', 'committed at both banks', 'committed at both banks']);
    assert.deepEqual(rows.map((r) => r.preparedBranches), ['none', 'bank-b', 'bank-a, bank-b', 'bank-a, bank-b', 'bank-b']);
    for (const r of rows) assert.equal(r.leftAfter, 'nothing', r.crash);
  });

  it('chaos sweep: 200 seeds with the reference rule keep atomicity, money and leave nothing behind', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = xaChaosRun(seed);
      assert.ok(r.safety.ok, `seed ${seed}: ${'message' in r.safety ? r.safety.message : ''} (replay: ${r.replay})`);
      assert.ok(r.liveness.ok, `seed ${seed}: ${'message' in r.liveness ? r.liveness.message : ''} (replay: ${r.replay})`);
    }
  });

  it('chaos sweep finds violations with each broken recovery rule', () => {
    for (const [name, rule] of Object.entries(brokenRecoveryRules)) {
      let found: string | null = null;
      for (let seed = 1; seed <= 200 && found === null; seed++) {
        const r = xaChaosRun(seed, { recovery: rule });
        if (!r.safety.ok) found = `seed ${seed}: ${r.safety.message}`;
      }
      assert.ok(found !== null, `${name}: no violation in 200 seeds`);
    }
  });

  it('a TM that rolls back foreign xids breaks the crash scenario (the other TM committed them)', () => {
    const r = tmCrashBetweenPrepareAndCommit(1, 300, { recovery: brokenRecoveryRules.touchForeign });
    assert.ok(!r.check.ok);
    assert.match(r.check.message, /tm1 logged its commit decision/);
  });

  it('is deterministic: same seed, same trace hash', () => {
    assert.equal(xaChaosRun(42).cluster.sim.trace.hash(), xaChaosRun(42).cluster.sim.trace.hash());
    assert.notEqual(xaChaosRun(42).cluster.sim.trace.hash(), xaChaosRun(43).cluster.sim.trace.hash());
    assert.equal(tmCrashBetweenPrepareAndCommit(3).sim.trace.hash(), tmCrashBetweenPrepareAndCommit(3).sim.trace.hash());
  });

  it('runXaTransfers: more contention (fewer accounts), lower throughput; money conserved', () => {
    const one = runXaTransfers({ seed: 1, workload: { transfers: 100, accountsPerStore: 1 } }).report;
    const many = runXaTransfers({ seed: 1, workload: { transfers: 100, accountsPerStore: 16 } }).report;
    for (const r of [one, many]) {
      assert.equal(r.moneyAfter, r.moneyBefore);
      assert.equal(r.committed + r.aborted + r.unfinished, 100);
      assert.deepEqual(r.reservedMs, []);
      assert.ok(r.lockHeldMs.length >= 2 * r.committed);
    }
    assert.ok(one.throughputPerSec < many.throughputPerSec, `${one.throughputPerSec} vs ${many.throughputPerSec}`);
  });

  it('bad options throw ConfigError naming the field', () => {
    assert.throws(() => xaCluster({ seed: 1, tms: 0 }), /tms/);
    assert.throws(() => xaCluster({ seed: 1, votingTimeoutMs: 600, branchTimeoutMs: 500 }), ConfigError);
    assert.throws(() => xaCluster({ seed: 1, retryMs: 0 }), /retryMs/);
    assert.throws(() => xaCluster({ seed: 1, bogus: 1 } as never), /bogus/);
    assert.throws(() => xaCluster({ seed: 1, recovery: 'yes' as never }), /recovery/);
  });
});

describe('the async TM driver over the embedded store', () => {
  const transfer = (id: string, amount = 100) => smallBank([{ id, atMs: 0, from: 'a0', to: 'b0', amount }]).transfers[0];

  it('runs a transfer, and refuses one that would overdraw', async () => {
    const bankA = new EmbeddedResourceManager('bank-a', { a0: 1000, a1: 1000 });
    const bankB = new EmbeddedResourceManager('bank-b', { b0: 1000, b1: 1000 });
    const driver = new XaDriver({ name: 'tm', rms: [bankA, bankB], log: new MemoryTmLog() });
    await driver.open();
    assert.equal((await driver.transfer(transfer('t0'))).outcome, 'committed');
    const refused = await driver.transfer(transfer('t1', 5000));
    assert.equal(refused.outcome, 'rolled back');
    assert.match(refused.reason, /XA_RBINTEGRITY/);
    assert.deepEqual(bankA.store.balances(), { a0: 900, a1: 1000 });
    assert.deepEqual(bankB.store.balances(), { b0: 1100, b1: 1000 });
  });

  it('a TM crash after the commit record: a new driver on the same log commits the prepared branches', async () => {
    const bankA = new EmbeddedResourceManager('bank-a', { a0: 1000, a1: 1000 });
    const bankB = new EmbeddedResourceManager('bank-b', { b0: 1000, b1: 1000 });
    const log = new MemoryTmLog();
    const first = new XaDriver({ name: 'tm', rms: [bankA, bankB], log, crashAt: 'after-commit-record' });
    await first.open();
    await assert.rejects(first.transfer(transfer('t0')), TmCrashed);
    bankA.crash();
    bankB.crash();
    assert.equal(bankA.store.recover().length, 1, 'prepared, after an RM restart too');
    const second = new XaDriver({ name: 'tm', rms: [bankA, bankB], log });
    await second.open();
    assert.deepEqual(bankA.store.recover(), []);
    assert.deepEqual(bankB.store.balances(), { b0: 1100, b1: 1000 });
    assert.deepEqual(log.records.map((r) => r.type), ['commit', 'end']);
  });
});
