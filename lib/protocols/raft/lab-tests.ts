import { NodeId, Random, RandomStreams } from '../../core';
import { majorityFaultScript } from '../../sim';
import { raftCluster } from './cluster';
import { KvClient } from './kv';
import { RaftHarness, RaftHarnessError, RaftHarnessOptions } from './harness';
import { RaftRules } from './rules';
import { RaftScenarioResult, figure8Scenario, forgetfulVoterScenario, staleAppendScenario } from './scenarios';

/**
 * The Raft lab's tests, after MIT 6.824/6.5840's `test_test.go` (2A election, 2B agreement,
 * 2C persistence, 2D snapshots) and its KVRaft tests, written on RaftHarness in simulated
 * time. Each is a function of a seed and the rules under test that returns nothing or throws
 * a RaftHarnessError naming the seed: a graded suite gives each one points, the unit tests run
 * them with the reference rules, and test/unit/raft-bugs.test.ts shows each broken rule
 * failing one of them. Iteration counts are smaller than 6.824's where noted (`scale` 1 is
 * this library's default; a graded suite may raise it).
 */

export interface RaftLabOptions {
  seed: number | string;
  rules?: Partial<RaftRules>;
  /** Multiplies the iteration counts of the long tests (Figure 8, churn). Default 1. */
  scale?: number;
}

export interface RaftLabTest {
  name: string;
  /** The part of the paper it exercises. */
  cites: string;
  run(options: RaftLabOptions): void;
}

const ELECTION_TIMEOUT_MS = 1000; // 6.824's RaftElectionTimeout: "an upper bound on how long an election takes"

function harness(options: RaftLabOptions, name: string, extra: Partial<RaftHarnessOptions> = {}): RaftHarness {
  return new RaftHarness({ seed: options.seed, rules: options.rules, name, servers: 3, ...extra });
}

function rng(h: RaftHarness): Random {
  return h.sim.random.stream('lab-test');
}

/** A random command (6.824 uses rand.Int()). */
function randCommand(r: Random): number {
  return r.int(0, 1_000_000_000);
}

/** A random string of `n` letters (6.824's randstring, for the byte count). */
function randString(r: Random, n: number): string {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let out = '';
  for (let i = 0; i < n; i++) out += letters[r.int(0, letters.length - 1)];
  return out;
}

/** The requests a server sends to another (RequestVote, AppendEntries, InstallSnapshot): what 6.824's rpcCount counts. */
const RPC_TYPES = new Set(['RequestVote', 'AppendEntries', 'InstallSnapshot']);

/** How many RPC requests the servers have sent so far, and their size as JSON (6.824's rpcCount and bytesTotal). */
function rpcTotals(h: RaftHarness): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const e of h.sim.trace.events) {
    if (e.kind !== 'send' || !RPC_TYPES.has((e.msg as { type: string }).type)) continue;
    count++;
    bytes += JSON.stringify(e.msg).length;
  }
  return { count, bytes };
}

// ---------------------------------------------------------------------- 2A: election (§5.2)

const initialElection: RaftLabTest = {
  name: 'initial election',
  cites: '§5.2',
  run(o) {
    const h = harness(o, 'initial election');
    h.checkOneLeader();
    h.sleep(50);
    const term1 = h.checkTerms();
    if (term1 < 1) h.fail(`term is ${term1}, but should be at least 1`);
    h.sleep(2 * ELECTION_TIMEOUT_MS);
    const term2 = h.checkTerms();
    if (term1 !== term2) h.fail(`term changed from ${term1} to ${term2} even though there were no failures`);
    h.checkOneLeader();
    h.checkSafety();
  },
};

const reElection: RaftLabTest = {
  name: 're-election',
  cites: '§5.2',
  run(o) {
    const h = harness(o, 're-election');
    const n = h.n;
    const leader1 = h.checkOneLeader();
    h.disconnect(leader1); // the leader leaves: a new one must be elected
    h.checkOneLeader();
    h.connect(leader1); // the old leader rejoins: it must not disturb the new one
    const leader2 = h.checkOneLeader();
    h.disconnect(leader2);
    h.disconnect((leader2 + 1) % n); // no quorum: no leader
    h.sleep(2 * ELECTION_TIMEOUT_MS);
    h.checkNoLeader();
    h.connect((leader2 + 1) % n); // a quorum again
    h.checkOneLeader();
    h.connect(leader2);
    h.checkOneLeader();
    h.checkSafety();
  },
};

const manyElections: RaftLabTest = {
  name: 'many elections',
  cites: '§5.2',
  run(o) {
    const h = harness(o, 'many elections', { servers: 7 });
    const r = rng(h);
    h.checkOneLeader();
    for (let i = 0; i < 10 * (o.scale ?? 1); i++) {
      const [a, b, c] = [r.int(0, 6), r.int(0, 6), r.int(0, 6)];
      h.disconnect(a);
      h.disconnect(b);
      h.disconnect(c);
      h.checkOneLeader(); // at most 3 of 7 gone: a quorum remains
      h.connect(a);
      h.connect(b);
      h.connect(c);
    }
    h.checkOneLeader();
    h.checkSafety();
  },
};

// ---------------------------------------------------------------------- 2B: agreement (§5.3, §5.4)

const basicAgree: RaftLabTest = {
  name: 'basic agreement',
  cites: '§5.3',
  run(o) {
    const h = harness(o, 'basic agreement', { servers: 5 });
    for (let index = 1; index <= 3; index++) {
      if (h.nCommitted(index).count > 0) h.fail(`some have committed index ${index} before Start()`);
      const x = h.one(index * 100, h.n, false);
      if (x !== index) h.fail(`got index ${x} but expected ${index}`);
    }
    h.checkSafety();
  },
};

/**
 * 6.824's TestRPCBytes: ten 5000-byte commands must cost about one copy per follower, not
 * many (a leader that resends the whole log on every heartbeat fails it).
 */
const rpcBytes: RaftLabTest = {
  name: 'RPC byte count',
  cites: '§5.3',
  run(o) {
    const h = harness(o, 'RPC byte count');
    const r = rng(h);
    h.one(99, 3, false);
    const bytes0 = rpcTotals(h).bytes;
    let sent = 0;
    for (let index = 2; index < 12; index++) {
      const command = randString(r, 5000);
      const x = h.one(command, 3, false);
      if (x !== index) h.fail(`got index ${x} but expected ${index}`);
      sent += command.length;
    }
    const got = rpcTotals(h).bytes - bytes0;
    const expected = 3 * sent;
    if (got > expected + 50_000) h.fail(`too many RPC bytes; got ${got}, expected at most ${expected} + 50000`);
    h.checkSafety();
  },
};

const followerFailure: RaftLabTest = {
  name: 'progressive failure of followers',
  cites: '§5.3',
  run(o) {
    const h = harness(o, 'progressive failure of followers');
    h.one(101, 3, false);
    const leader1 = h.checkOneLeader();
    h.disconnect((leader1 + 1) % 3); // the leader and the other follower still agree
    h.one(102, 2, false);
    h.sleep(ELECTION_TIMEOUT_MS);
    h.one(103, 2, false);
    const leader2 = h.checkOneLeader();
    h.disconnect((leader2 + 1) % 3); // now no follower is left
    h.disconnect((leader2 + 2) % 3);
    const r = h.start(leader2, 104);
    if (!r.isLeader) h.fail('leader rejected Start()');
    if (r.index !== 4) h.fail(`expected index 4, got ${r.index}`);
    h.sleep(2 * ELECTION_TIMEOUT_MS);
    const { count } = h.nCommitted(r.index);
    if (count > 0) h.fail(`${count} committed index ${r.index} but there is no majority`);
    h.checkSafety();
  },
};

const leaderFailure: RaftLabTest = {
  name: 'failure of leaders',
  cites: '§5.2, §5.3',
  run(o) {
    const h = harness(o, 'failure of leaders');
    h.one(101, 3, false);
    const leader1 = h.checkOneLeader();
    h.disconnect(leader1); // the other two elect a new leader
    h.one(102, 2, false);
    h.sleep(ELECTION_TIMEOUT_MS);
    h.one(103, 2, false);
    const leader2 = h.checkOneLeader();
    h.disconnect(leader2); // one server left connected
    for (let i = 0; i < 3; i++) h.start(i, 104);
    h.sleep(2 * ELECTION_TIMEOUT_MS);
    const { count } = h.nCommitted(4);
    if (count > 0) h.fail(`${count} committed index 4 but there is no majority`);
    h.checkSafety();
  },
};

const failAgree: RaftLabTest = {
  name: 'agreement despite follower disconnection',
  cites: '§5.3',
  run(o) {
    const h = harness(o, 'agreement despite follower disconnection');
    h.one(101, 3, false);
    const leader = h.checkOneLeader();
    h.disconnect((leader + 1) % 3);
    h.one(102, 2, false);
    h.one(103, 2, false);
    h.sleep(ELECTION_TIMEOUT_MS);
    h.one(104, 2, false);
    h.one(105, 2, false);
    h.connect((leader + 1) % 3); // it must catch up
    h.one(106, 3, true);
    h.sleep(ELECTION_TIMEOUT_MS);
    h.one(107, 3, true);
    h.checkSafety();
  },
};

const failNoAgree: RaftLabTest = {
  name: 'no agreement if too many followers disconnect',
  cites: '§5.3',
  run(o) {
    const h = harness(o, 'no agreement if too many followers disconnect', { servers: 5 });
    h.one(10, 5, false);
    const leader = h.checkOneLeader();
    for (const k of [1, 2, 3]) h.disconnect((leader + k) % 5);
    const r = h.start(leader, 20);
    if (!r.isLeader) h.fail('leader rejected Start()');
    if (r.index !== 2) h.fail(`expected index 2, got ${r.index}`);
    h.sleep(2 * ELECTION_TIMEOUT_MS);
    const { count } = h.nCommitted(r.index);
    if (count > 0) h.fail(`${count} committed index ${r.index} without a majority`);
    for (const k of [1, 2, 3]) h.connect((leader + k) % 5);
    const leader2 = h.checkOneLeader();
    const r2 = h.start(leader2, 30);
    if (!r2.isLeader) h.fail('leader2 rejected Start()');
    if (r2.index < 2 || r2.index > 3) h.fail(`unexpected index ${r2.index}`);
    h.one(1000, 5, true);
    h.checkSafety();
  },
};

const concurrentStarts: RaftLabTest = {
  name: 'concurrent Start()s',
  cites: '§5.3',
  run(o) {
    const h = harness(o, 'concurrent Start()s');
    for (let attempt = 0; attempt < 5; attempt++) {
      if (attempt > 0) h.sleep(3000);
      const leader = h.checkOneLeader();
      const first = h.start(leader, 1);
      if (!first.isLeader) continue;
      const indexes: number[] = [];
      let lost = false;
      for (let k = 0; k < 5; k++) {
        const r = h.start(leader, 100 + k); // all at (nearly) the same virtual time
        if (!r.isLeader || r.term !== first.term) lost = true;
        else indexes.push(r.index);
      }
      if (lost) continue;
      const values: unknown[] = [];
      for (const index of indexes) {
        const v = h.wait(index, 3, first.term);
        if (v === -1) lost = true;
        values.push(v);
      }
      if (lost) continue;
      for (let k = 0; k < 5; k++) if (!values.includes(100 + k)) h.fail(`command ${100 + k} missing in ${JSON.stringify(values)}`);
      h.checkSafety();
      return;
    }
    h.fail('term changed too often');
  },
};

const rejoin: RaftLabTest = {
  name: 'rejoin of partitioned leader',
  cites: '§5.3, §5.4.1',
  run(o) {
    const h = harness(o, 'rejoin of partitioned leader');
    h.one(101, 3, true);
    const leader1 = h.checkOneLeader();
    h.disconnect(leader1);
    h.start(leader1, 102); // appended by the old leader only: never committed
    h.start(leader1, 103);
    h.start(leader1, 104);
    h.one(103, 2, true);
    const leader2 = h.checkOneLeader();
    h.disconnect(leader2);
    h.connect(leader1); // the old leader comes back with conflicting entries
    h.one(104, 2, true);
    h.connect(leader2);
    h.one(105, 3, true);
    h.checkSafety();
  },
};

const backup: RaftLabTest = {
  name: 'leader backs up quickly over incorrect follower logs',
  cites: '§5.3 (fast back-up)',
  run(o) {
    const h = harness(o, 'leader backs up quickly over incorrect follower logs', { servers: 5 });
    const r = rng(h);
    h.one(randCommand(r), 5, true);
    const leader1 = h.checkOneLeader();
    // put the leader and one follower in a partition
    for (const k of [2, 3, 4]) h.disconnect((leader1 + k) % 5);
    for (let i = 0; i < 50; i++) h.start(leader1, randCommand(r)); // lots of commands that won't commit
    h.sleep(ELECTION_TIMEOUT_MS / 2);
    h.disconnect(leader1);
    h.disconnect((leader1 + 1) % 5);
    for (const k of [2, 3, 4]) h.connect((leader1 + k) % 5); // the other partition
    for (let i = 0; i < 50; i++) h.one(randCommand(r), 3, true); // lots of successful commands
    const leader2 = h.checkOneLeader();
    let other = (leader1 + 2) % 5;
    if (leader2 === other) other = (leader2 + 1) % 5;
    h.disconnect(other);
    for (let i = 0; i < 50; i++) h.start(leader2, randCommand(r)); // more commands that won't commit
    h.sleep(ELECTION_TIMEOUT_MS / 2);
    for (let i = 0; i < 5; i++) h.disconnect(i); // bring the original leader back to life
    h.connect(leader1);
    h.connect((leader1 + 1) % 5);
    h.connect(other);
    for (let i = 0; i < 50; i++) h.one(randCommand(r), 3, true);
    for (let i = 0; i < 5; i++) h.connect(i);
    h.one(randCommand(r), 5, true);
    h.checkSafety();
    // "Quickly": 6.824 leaves it to its time limits, which a simulated network meets even one
    // entry per round trip. Count the refusals for log conflicts instead: the conflict hint
    // needs about 4 in all (one per follower and divergence), one entry at a time about 150.
    const refusals = h.sim.trace.events.filter((e) => {
      if (e.kind !== 'send') return false;
      const m = e.msg as { type: string; success?: boolean; conflictIndex?: number; conflictTerm?: number | null };
      return m.type === 'AppendEntriesReply' && !m.success && ((m.conflictIndex ?? 0) > 0 || m.conflictTerm != null);
    }).length;
    if (refusals > 30) h.fail(`the leader backed up slowly: followers refused ${refusals} AppendEntries for log conflicts (with the conflict hint about 4 suffice; one entry at a time takes about 150)`);
  },
};

/**
 * 6.824's TestCount: message budgets. Electing the first leader takes at most 30 RPCs; eleven
 * commands in one term at most (11 + 3) * 3; a second of idleness at most 60 (heartbeats).
 * An election that keeps splitting, or a leader that sends each entry many times, fails it.
 */
const rpcCounts: RaftLabTest = {
  name: "RPC counts aren't too high",
  cites: '§5.2, §5.3',
  run(o) {
    const h = harness(o, "RPC counts aren't too high");
    const r = rng(h);
    h.checkOneLeader();
    let total1 = rpcTotals(h).count;
    if (total1 > 30 || total1 < 1) h.fail(`too many or few RPCs (${total1}) to elect the initial leader`);
    let total2 = 0;
    let success = false;
    attempts: for (let attempt = 0; attempt < 5; attempt++) {
      if (attempt > 0) h.sleep(3000); // let it settle
      const leader = h.checkOneLeader();
      total1 = rpcTotals(h).count;
      const iters = 10;
      const first = h.start(leader, 1);
      if (!first.isLeader) continue; // the leader moved on quickly
      const commands: number[] = [];
      for (let i = 1; i < iters + 2; i++) {
        const x = randCommand(r);
        commands.push(x);
        const s = h.start(leader, x);
        if (!s.isLeader || s.term !== first.term) continue attempts; // the term changed while starting
        if (s.index !== first.index + i) h.fail(`Start() returned index ${s.index}, expected ${first.index + i}`);
      }
      for (let i = 1; i < iters + 1; i++) {
        const command = h.wait(first.index + i, 3, first.term);
        if (command === -1) continue attempts; // the term changed: try again
        if (command !== commands[i - 1]) h.fail(`wrong value ${JSON.stringify(command)} committed for index ${first.index + i}; expected ${commands[i - 1]}`);
      }
      let termChanged = false;
      for (let j = 0; j < h.n; j++) if (h.cluster.node(h.id(j))?.currentTerm !== first.term) termChanged = true;
      total2 = rpcTotals(h).count;
      if (termChanged) continue; // a new term: low counts cannot be expected
      if (total2 - total1 > (iters + 1 + 3) * 3) h.fail(`too many RPCs (${total2 - total1}) for ${iters} entries`);
      success = true;
      break;
    }
    if (!success) h.fail('term changed too often');
    h.sleep(ELECTION_TIMEOUT_MS);
    const total3 = rpcTotals(h).count;
    if (total3 - total2 > 3 * 20) h.fail(`too many RPCs (${total3 - total2}) for 1 second of idleness`);
    h.checkSafety();
  },
};

// ---------------------------------------------------------------------- 2C: persistence (Figure 2)

const persist1: RaftLabTest = {
  name: 'basic persistence',
  cites: 'Figure 2 (persistent state)',
  run(o) {
    const h = harness(o, 'basic persistence');
    h.one(11, 3, true);
    for (let i = 0; i < 3; i++) h.crash(i); // crash and re-start all
    for (let i = 0; i < 3; i++) h.restart(i);
    h.one(12, 3, true);
    const leader1 = h.checkOneLeader();
    h.crash(leader1);
    h.restart(leader1);
    h.one(13, 3, true);
    const leader2 = h.checkOneLeader();
    h.crash(leader2);
    h.one(14, 2, true);
    h.restart(leader2);
    h.wait(4, 3, -1); // wait for leader2 to join before killing i3
    const i3 = (h.checkOneLeader() + 1) % 3;
    h.crash(i3);
    h.one(15, 2, true);
    h.restart(i3);
    h.one(16, 3, true);
    h.checkSafety();
  },
};

const persist2: RaftLabTest = {
  name: 'more persistence',
  cites: 'Figure 2 (persistent state)',
  run(o) {
    const h = harness(o, 'more persistence', { servers: 5 });
    let index = 1;
    for (let iters = 0; iters < 5 * (o.scale ?? 1); iters++) {
      h.one(10 + index++, 5, true);
      const leader1 = h.checkOneLeader();
      h.crash((leader1 + 1) % 5);
      h.crash((leader1 + 2) % 5);
      h.one(10 + index++, 3, true);
      h.crash(leader1);
      h.crash((leader1 + 3) % 5);
      h.crash((leader1 + 4) % 5);
      h.restart((leader1 + 1) % 5);
      h.restart((leader1 + 2) % 5);
      h.sleep(ELECTION_TIMEOUT_MS);
      h.restart((leader1 + 3) % 5);
      h.one(10 + index++, 3, true);
      h.restart((leader1 + 4) % 5);
      h.restart(leader1);
    }
    h.one(1000, 5, true);
    h.checkSafety();
  },
};

const persist3: RaftLabTest = {
  name: 'partitioned leader and one follower crash, leader restarts',
  cites: 'Figure 2 (persistent state), §5.4.1',
  run(o) {
    const h = harness(o, 'partitioned leader and one follower crash, leader restarts');
    h.one(101, 3, true);
    const leader = h.checkOneLeader();
    h.disconnect((leader + 2) % 3);
    h.one(102, 2, true);
    h.crash(leader % 3);
    h.crash((leader + 1) % 3);
    h.connect((leader + 2) % 3);
    h.restart(leader % 3);
    h.one(103, 2, true);
    h.restart((leader + 1) % 3);
    h.one(104, 3, true);
    h.checkSafety();
  },
};

/**
 * Figure 8 (§5.4.2): leaders crash right after appending, servers restart at random; the
 * commit rule must never commit an earlier term's entry by counting replicas.
 */
const figure8: RaftLabTest = {
  name: 'Figure 8',
  cites: '§5.4.2, Figure 8',
  run(o) {
    const h = harness(o, 'Figure 8', { servers: 5 });
    const r = rng(h);
    h.one(randCommand(r), 1, true);
    let nup = 5;
    for (let iters = 0; iters < 100 * (o.scale ?? 1); iters++) {
      let leader = -1;
      for (let i = 0; i < 5; i++) if (h.isUp(i) && h.start(i, randCommand(r)).isLeader) leader = i;
      h.sleep(r.int(0, 999) < 100 ? r.int(0, ELECTION_TIMEOUT_MS / 2) : r.int(0, 13));
      if (leader !== -1 && h.isUp(leader)) {
        h.crash(leader);
        nup--;
      }
      if (nup < 3) {
        const s = r.int(0, 4);
        if (!h.isUp(s)) {
          h.restart(s);
          nup++;
        }
      }
    }
    for (let i = 0; i < 5; i++) h.restart(i);
    h.one(randCommand(r), 5, true);
    h.checkSafety();
  },
};

/** Figure 8 on 6.824's unreliable network, with long reordering after a while, and leaders cut off instead of crashed. */
const figure8Unreliable: RaftLabTest = {
  name: 'Figure 8 (unreliable)',
  cites: '§5.4.2, Figure 8',
  run(o) {
    const h = harness(o, 'Figure 8 (unreliable)', { servers: 5, reliable: false });
    const r = rng(h);
    h.one(r.int(0, 9999), 1, true);
    let nup = 5;
    const iterations = 300 * (o.scale ?? 1);
    for (let iters = 0; iters < iterations; iters++) {
      if (iters === Math.floor(iterations / 5)) h.setLongReordering(true);
      let leader = -1;
      for (let i = 0; i < 5; i++) if (h.start(i, r.int(0, 9999)).isLeader && h.isConnected(i)) leader = i;
      h.sleep(r.int(0, 99) < 10 ? r.int(0, ELECTION_TIMEOUT_MS / 2) : r.int(0, 13));
      if (leader !== -1 && r.int(0, 999) < 500) {
        h.disconnect(leader);
        nup--;
      }
      if (nup < 3) {
        const s = r.int(0, 4);
        if (!h.isConnected(s)) {
          h.connect(s);
          nup++;
        }
      }
    }
    for (let i = 0; i < 5; i++) h.connect(i);
    h.setLongReordering(false);
    h.one(r.int(0, 9999), 5, true);
    h.checkSafety();
  },
};

const unreliableAgree: RaftLabTest = {
  name: 'unreliable agreement',
  cites: '§5.3',
  run(o) {
    const h = harness(o, 'unreliable agreement', { servers: 5, reliable: false });
    for (let iters = 1; iters < 1 + 29 * (o.scale ?? 1); iters++) {
      for (let j = 0; j < 4; j++) {
        for (let i = 0; i < 5; i++) h.start(i, 100 * iters + j);
      }
      h.one(iters, 1, true);
    }
    h.setReliable(true);
    h.one(100, 5, true);
    h.checkSafety();
  },
};

/**
 * 6.824's churn tests (TestReliableChurn, TestUnreliableChurn): three clients keep starting
 * commands on whoever leads while, every 0.7 s for 14 s, servers are cut off, crashed and
 * brought back at random. Afterwards every command a client saw committed must be in the
 * final log of every server. The clients are run as timed steps in virtual time (6.824's
 * goroutines): start a command on each live server, then look for it after 10, 20, 50, 100
 * and 200 ms, or sleep 79 + 17 * me ms when nobody leads.
 */
function churnTest(name: string, reliable: boolean): RaftLabTest {
  return {
    name,
    cites: 'Figure 2 (persistent state), §5.3, §5.4',
    run(o) {
      const h = harness(o, name, { servers: 5, reliable });
      const r = rng(h);
      const servers = h.n;
      interface ChurnClient {
        me: number;
        wakeMs: number;
        waiting: { x: number; index: number; sleeps: number[] } | null;
        values: number[];
      }
      const clients: ChurnClient[] = [0, 1, 2].map((me) => ({ me, wakeMs: h.sim.now(), waiting: null, values: [] }));
      let stop = false;
      const active = (c: ChurnClient) => c.waiting !== null || !stop;
      const step = (c: ChurnClient) => {
        const now = h.sim.now();
        if (c.waiting) {
          const { count, command } = h.nCommitted(c.waiting.index);
          if (count > 0) {
            if (command === c.waiting.x) c.values.push(c.waiting.x);
            c.waiting = null;
            c.wakeMs = now;
            return;
          }
          const sleep = c.waiting.sleeps.shift();
          if (sleep === undefined) c.waiting = null; // give up on this one: maybe the leader lost it
          c.wakeMs = now + (sleep ?? 0);
          return;
        }
        const x = randCommand(r);
        let index = -1;
        for (let i = 0; i < servers; i++) {
          if (!h.isUp(i)) continue;
          const s = h.start(i, x); // try them all: maybe one of them leads
          if (s.isLeader) index = s.index;
        }
        if (index !== -1) c.waiting = { x, index, sleeps: [10, 20, 50, 100, 200] };
        else c.wakeMs = h.sim.now() + 79 + c.me * 17;
      };
      /** Runs the clients' steps, in time order, until `untilMs` (or, with stop set, until they are done). */
      const runClients = (untilMs: number) => {
        for (;;) {
          const next = clients.filter(active).sort((a, b) => a.wakeMs - b.wakeMs || a.me - b.me)[0];
          if (!next || next.wakeMs > untilMs) break;
          if (next.wakeMs > h.sim.now()) h.sleep(next.wakeMs - h.sim.now());
          step(next);
        }
        if (untilMs > h.sim.now() && untilMs !== Infinity) h.sleep(untilMs - h.sim.now());
      };
      const iterations = Math.round(20 * (o.scale ?? 1));
      for (let iters = 0; iters < iterations; iters++) {
        if (r.int(0, 999) < 200) h.disconnect(r.int(0, servers - 1));
        if (r.int(0, 999) < 500) {
          const i = r.int(0, servers - 1);
          h.restart(i);
          h.connect(i);
        }
        if (r.int(0, 999) < 200) h.crash(r.int(0, servers - 1));
        // often enough that the servers have not settled from one change to the next
        runClients(h.sim.now() + (ELECTION_TIMEOUT_MS * 7) / 10);
      }
      runClients(h.sim.now() + ELECTION_TIMEOUT_MS);
      h.setReliable(true);
      for (let i = 0; i < servers; i++) {
        h.restart(i);
        h.connect(i);
      }
      stop = true;
      runClients(Infinity); // the clients finish what they were waiting for
      const values = clients.flatMap((c) => c.values);
      h.sleep(ELECTION_TIMEOUT_MS);
      const lastIndex = h.one(randCommand(r), servers, true);
      const really = new Set<unknown>();
      for (let index = 1; index <= lastIndex; index++) really.add(h.wait(index, servers, -1));
      for (const v of values) if (!really.has(v)) h.fail(`command ${v} was seen committed by a client but is not in the final log`);
      if (values.length === 0) h.fail('no client command committed during the churn');
      h.checkSafety();
    },
  };
}

// ---------------------------------------------------------------------- 2D: snapshots (§7)

const SNAPSHOT_THRESHOLD = 10; // 6.824's SnapShotInterval

const snapshotBasic: RaftLabTest = {
  name: 'snapshots basic',
  cites: '§7',
  run(o) {
    const h = harness(o, 'snapshots basic', { snapshotThreshold: SNAPSHOT_THRESHOLD });
    const r = rng(h);
    h.one(randCommand(r), 3, true);
    for (let i = 0; i < 60; i++) h.one(randCommand(r), 3, true);
    if (h.maxLogSize() > 2 * SNAPSHOT_THRESHOLD) h.fail(`a log holds ${h.maxLogSize()} entries: snapshots should keep it under ${2 * SNAPSHOT_THRESHOLD}`);
    h.checkMachinesAgree();
    h.checkSafety();
  },
};

function snapshotInstallTest(name: string, disconnect: boolean, reliable: boolean, crash: boolean): RaftLabTest {
  return {
    name,
    cites: '§7, Figure 13 (InstallSnapshot)',
    run(o) {
      const h = harness(o, name, { snapshotThreshold: SNAPSHOT_THRESHOLD, reliable });
      const r = rng(h);
      h.one(randCommand(r), 3, true);
      let leader1 = h.checkOneLeader();
      for (let i = 0; i < 12 * (o.scale ?? 1); i++) {
        let victim = (leader1 + 1) % 3;
        let sender = leader1;
        if (i % 3 === 1) {
          // as in 6.824: every third round the leader itself is cut off or crashed, and a follower gets the Starts
          sender = (leader1 + 1) % 3;
          victim = leader1;
        }
        if (disconnect) h.disconnect(victim);
        if (crash) h.crash(victim);
        if (disconnect || crash) h.one(randCommand(r), 2, true);
        // send enough to get a snapshot past the victim's log
        for (let k = 0; k < SNAPSHOT_THRESHOLD + 1; k++) h.start(sender, randCommand(r));
        h.one(randCommand(r), disconnect || crash ? 2 : 3, true);
        if (h.maxLogSize() > 3 * SNAPSHOT_THRESHOLD) h.fail(`a log holds ${h.maxLogSize()} entries: snapshots should bound it`);
        if (disconnect) {
          h.connect(victim); // the victim needs InstallSnapshot to catch up
          h.one(randCommand(r), 3, true);
          leader1 = h.checkOneLeader();
        }
        if (crash) {
          h.restart(victim);
          h.one(randCommand(r), 3, true);
          leader1 = h.checkOneLeader();
        }
      }
      h.checkMachinesAgree();
      h.checkSafety();
    },
  };
}

const snapshotAllCrash: RaftLabTest = {
  name: 'crash and restart all servers (with snapshots)',
  cites: '§7',
  run(o) {
    const h = harness(o, 'crash and restart all servers (with snapshots)', { snapshotThreshold: SNAPSHOT_THRESHOLD });
    const r = rng(h);
    h.one(randCommand(r), 3, true);
    for (let i = 0; i < 5; i++) {
      for (let k = 0; k < SNAPSHOT_THRESHOLD + 1; k++) h.one(randCommand(r), 3, true); // a few snapshots
      const index1 = h.one(randCommand(r), 3, true);
      for (let s = 0; s < 3; s++) h.crash(s);
      for (let s = 0; s < 3; s++) h.restart(s);
      const index2 = h.one(randCommand(r), 3, true);
      if (index2 < index1 + 1) h.fail(`index decreased from ${index1} to ${index2}`);
    }
    h.checkMachinesAgree();
    h.checkSafety();
  },
};

/** 6.824's TestSnapshotInit: crash everyone right after a snapshot, twice; each restart must come back from snapshot and log. */
const snapshotInit: RaftLabTest = {
  name: 'snapshot initialization after crash',
  cites: '§7',
  run(o) {
    const h = harness(o, 'snapshot initialization after crash', { snapshotThreshold: SNAPSHOT_THRESHOLD });
    const r = rng(h);
    h.one(randCommand(r), 3, true);
    for (let i = 0; i < SNAPSHOT_THRESHOLD + 1; i++) h.one(randCommand(r), 3, true); // enough for a snapshot
    for (let round = 0; round < 2; round++) {
      for (let s = 0; s < 3; s++) h.crash(s);
      for (let s = 0; s < 3; s++) h.restart(s);
      h.one(randCommand(r), 3, true); // something to write back to storage, then crash again
    }
    h.checkMachinesAgree();
    h.checkSafety();
  },
};

// ---------------------------------------------------------------------- the key-value service (§6, dissertation §6)

/**
 * Key-value clients against a Raft cluster under partitions and crashes (a chaos phase from
 * majorityFaultScript, then heal): the history must be linearizable, Figure 3 must hold, and the
 * clients must finish after healing.
 */
function kvTest(name: string, servers: number, partitions: boolean, crashes: number, snapshotThreshold?: number): RaftLabTest {
  return {
    name,
    cites: 'dissertation §6.3 (sessions), §6.4 (reads through the log)',
    run(o) {
      const ids: NodeId[] = Array.from({ length: servers }, (_, i) => `n${i + 1}`);
      const healAtMs = 3000;
      const faults = majorityFaultScript(new RandomStreams(o.seed).stream('kv-faults'), ids, {
        healAtMs,
        crashes: [crashes, crashes],
        downMs: [100, 800],
        partitions,
        partitionMs: [300, 1500],
      });
      if (partitions && !faults.some((f) => f.action === 'partition')) {
        // randomFaultScript partitions half the time; this test always wants one.
        const shuffled = new RandomStreams(o.seed).stream('kv-partition').shuffle(ids);
        faults.push({ atMs: 500, action: 'partition', groups: [shuffled.slice(0, 2), shuffled.slice(2)] }, { atMs: 1800, action: 'heal' });
        faults.sort((a, b) => a.atMs - b.atMs);
      }
      const c = raftCluster({
        seed: o.seed,
        servers,
        rules: o.rules,
        kvClients: 3,
        kvClientOptions: { operations: 1000, keys: ['x', 'y', 'z'], thinkMs: 20, stopAtMs: healAtMs + 500 },
        snapshotThreshold,
        network: { latency: { kind: 'uniform', minMs: 1, maxMs: 8 }, dropRate: 0.05, reorderRate: 0.05, reorderDelayMs: 20 },
        faults,
      });
      const where = `${name}, seed ${o.seed}; replay with the same seed`;
      c.run(healAtMs + 500);
      const allDone = () => c.clients.every((id) => c.sim.node<KvClient>(id)?.state.current === null);
      if (!c.runUntil(allDone, healAtMs + 5000)) {
        throw new RaftHarnessError(`liveness: the clients' last operations did not complete within 4.5 s of healing (${where})\n${c.summary()}`, String(o.seed));
      }
      const done = c.sim.history.filter((e) => e.type === 'ok').length;
      if (done < 20) throw new RaftHarnessError(`only ${done} operations completed (${where})`, String(o.seed));
      const safety = c.safety();
      if (!safety.ok) throw new RaftHarnessError(`${safety.message} (${where})`, String(o.seed));
      const lin = c.linearizability();
      if (lin.ok !== true) throw new RaftHarnessError(`the key-value history is not linearizable: ${lin.message} (${where})`, String(o.seed));
      if (snapshotThreshold !== undefined) {
        for (const id of c.servers) {
          const n = c.node(id);
          if (n && n.state.log.entries.length > 4 * snapshotThreshold) throw new RaftHarnessError(`${id}'s log holds ${n.state.log.entries.length} entries despite snapshots (${where})`, String(o.seed));
        }
      }
    },
  };
}

// ---------------------------------------------------------------------- scripted (scenarios.ts)

/** A scripted scenario as a test: it fails when Figure 3's checkers find a violation. */
function scriptedTest(name: string, cites: string, scenario: (seed: number | string, options: { rules?: Partial<RaftRules> }) => RaftScenarioResult): RaftLabTest {
  return {
    name,
    cites,
    run(o) {
      const r = scenario(o.seed, { rules: o.rules });
      if (!r.safety.ok) throw new RaftHarnessError(`${r.safety.message} (${name}, seed ${o.seed}; replay with ${r.name}Scenario(${JSON.stringify(o.seed)}, { rules }))`, String(o.seed));
    },
  };
}

/** Every test: the 6.824 lab's, in its order, then the key-value service's, then the scripted ones. */
export const raftLabTests: RaftLabTest[] = [
  initialElection,
  reElection,
  manyElections,
  basicAgree,
  rpcBytes,
  followerFailure,
  leaderFailure,
  failAgree,
  failNoAgree,
  concurrentStarts,
  rejoin,
  backup,
  rpcCounts,
  persist1,
  persist2,
  persist3,
  figure8,
  figure8Unreliable,
  unreliableAgree,
  churnTest('churn', true),
  churnTest('unreliable churn', false),
  snapshotBasic,
  snapshotInstallTest('install snapshots (disconnect)', true, true, false),
  snapshotInstallTest('install snapshots (disconnect + unreliable)', true, false, false),
  snapshotInstallTest('install snapshots (crash)', false, true, true),
  snapshotInstallTest('install snapshots (unreliable + crash)', false, false, true),
  snapshotAllCrash,
  snapshotInit,
  kvTest('key-value: linearizable under partitions', 5, true, 0),
  kvTest('key-value: linearizable under crashes', 5, false, 3),
  kvTest('key-value: linearizable under partitions and crashes, with snapshots', 5, true, 2, 20),
  scriptedTest('Figure 8 (scripted)', '§5.4.2, Figure 8', figure8Scenario),
  scriptedTest('a vote survives a crash (scripted)', 'Figure 2 (votedFor is persistent), §5.2', forgetfulVoterScenario),
  scriptedTest('a stale AppendEntries does not truncate (scripted)', 'Figure 2 (AppendEntries rule 3)', staleAppendScenario),
];

/** Runs one lab test; returns null when it passes, else the failure message. */
export function runRaftLabTest(test: RaftLabTest, options: RaftLabOptions): string | null {
  try {
    test.run(options);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

