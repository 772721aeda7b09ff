import { RaftCheckResult } from '../../checkers/raft';
import { NodeId, Random, canonicalJson, requireInteger } from '../../core';
import { NetworkOptions } from '../../sim';
import { RaftCluster, RaftClusterOptions, raftCluster } from './cluster';
import { lastLogIndex } from './log';

/** A harness check that failed: the message names the seed and how to replay it. */
export class RaftHarnessError extends Error {
  constructor(message: string, readonly seed: string) {
    super(message);
    this.name = 'RaftHarnessError';
  }
}

/** Options of the harness: the cluster's (servers, rules, snapshotThreshold, ...) and whether the network is reliable. */
export interface RaftHarnessOptions extends Omit<RaftClusterOptions, 'network' | 'faults'> {
  /** Start with an unreliable network (see setReliable). Default true (reliable). */
  reliable?: boolean;
  /** A name for failure messages, e.g. the test's ("Figure 8 (unreliable)"). */
  name?: string;
}

/** The reliable network: 1-5 ms, nothing lost. */
const RELIABLE: Partial<NetworkOptions> = { latency: { kind: 'uniform', minMs: 1, maxMs: 5 }, dropRate: 0, duplicateRate: 0, reorderRate: 0, reorderDelayMs: 0 };
/** 6.824's unreliable network: 10% lost, up to 27 ms of delay, some duplicates and reordering. */
const UNRELIABLE: Partial<NetworkOptions> = { latency: { kind: 'uniform', minMs: 1, maxMs: 27 }, dropRate: 0.1, duplicateRate: 0.05, reorderRate: 0.1, reorderDelayMs: 30 };

/**
 * A test harness in the manner of MIT 6.824/6.5840's raft `config.go`, running in simulated
 * time: servers are numbered from 0 (server i is node n(i+1)), `disconnect`/`connect` cut a
 * server off the network and back, `crash`/`restart` lose and reload its volatile state, and
 * the checks (`checkOneLeader`, `checkTerms`, `checkNoLeader`, `nCommitted`, `one`, `wait`)
 * throw a RaftHarnessError naming the seed. Every applied entry is checked as it happens (the
 * same index must hold the same command on every server; applies must come in order), and
 * `safety()` runs Figure 3's checkers over the trace. A graded suite is built on it the way the
 * 6.824 tests are built on `config.go` (see lab-tests.ts).
 *
 * Commands are any plain data; 6.824 uses integers. By default the harness's servers do not
 * append a no-op when elected (`noopOnElection: false`), so that, as in 6.824, the first
 * command of a fresh cluster has index 1.
 *
 * @example
 *   const h = new RaftHarness({ seed: 1, servers: 3 });
 *   const leader = h.checkOneLeader();
 *   h.one(101, 3, false); // 1: the index it committed at, on all 3 servers
 *   h.disconnect(leader);
 *   h.checkOneLeader();   // another one
 */
export class RaftHarness {
  readonly cluster: RaftCluster;
  readonly n: number;
  private readonly connected: boolean[];
  private readonly rng: Random;
  private readonly name: string;
  /** Per server: index -> command applied, over all its incarnations. */
  private readonly applied: Map<number, string>[];
  private readonly lastApplied: number[];
  private readonly committed = new Map<number, { server: number; command: string }>();
  private applyError: string | null = null;
  private cursor = 0;
  private reliable: boolean;
  private longReordering = false;

  constructor(options: RaftHarnessOptions) {
    const { reliable, name, ...rest } = options;
    this.n = requireInteger('servers', options.servers ?? 3, 1);
    this.reliable = reliable ?? true;
    this.cluster = raftCluster({ noopOnElection: false, ...rest, servers: this.n, network: this.reliable ? RELIABLE : UNRELIABLE, recordTrace: true });
    this.connected = Array.from({ length: this.n }, () => true);
    this.applied = Array.from({ length: this.n + (options.spares ?? 0) }, () => new Map());
    this.lastApplied = Array.from({ length: this.n + (options.spares ?? 0) }, () => 0);
    this.rng = this.cluster.sim.random.stream('harness');
    this.name = name ?? 'raft harness';
  }

  get sim() {
    return this.cluster.sim;
  }

  /** Node id of server i (or the id itself). */
  id(server: number | NodeId): NodeId {
    return typeof server === 'number' ? `n${server + 1}` : server;
  }

  /** Server number of a node id. */
  index(server: number | NodeId): number {
    return typeof server === 'number' ? server : Number(server.slice(1)) - 1;
  }

  // ------------------------------------------------------------------ time, network, crashes

  /** Lets `ms` of virtual time pass. */
  sleep(ms: number): void {
    this.sim.run({ untilMs: this.sim.now() + ms });
    this.sync();
  }

  /** Cuts server i off from every other server (6.824's disconnect). */
  disconnect(server: number | NodeId): void {
    this.connected[this.index(server)] = false;
    this.applyNetwork();
  }

  /** Reconnects server i. */
  connect(server: number | NodeId): void {
    this.connected[this.index(server)] = true;
    this.applyNetwork();
  }

  isConnected(server: number | NodeId): boolean {
    return this.connected[this.index(server)];
  }

  /** Crashes server i: its volatile state is lost, its durable storage stays (6.824's crash1). */
  crash(server: number | NodeId): void {
    const id = this.id(server);
    if (this.sim.isUp(id)) this.sim.crash(id);
  }

  /** Restarts a crashed server from its durable storage (6.824's start1). */
  restart(server: number | NodeId): void {
    const id = this.id(server);
    if (!this.sim.isUp(id)) this.sim.restart(id);
  }

  isUp(server: number | NodeId): boolean {
    return this.sim.isUp(this.id(server));
  }

  /** A reliable network (1-5 ms), or 6.824's unreliable one (10% lost, delays up to 27 ms, reordering). */
  setReliable(reliable: boolean): void {
    this.reliable = reliable;
    this.applyNetworkOptions();
  }

  /** Some messages held back up to 2 s (6.824's long reordering). */
  setLongReordering(on: boolean): void {
    this.longReordering = on;
    this.applyNetworkOptions();
  }

  private applyNetworkOptions(): void {
    const base = this.reliable ? RELIABLE : UNRELIABLE;
    this.sim.configureNetwork(this.longReordering ? { ...base, reorderRate: 0.05, reorderDelayMs: 2000 } : base);
  }

  private applyNetwork(): void {
    const ids = this.cluster.servers;
    const up = ids.filter((_, i) => this.connected[i] ?? true);
    const down = ids.filter((_, i) => !(this.connected[i] ?? true));
    if (down.length === 0) this.sim.heal();
    else this.sim.partition([up, ...down.map((d) => [d])]);
  }

  // ------------------------------------------------------------------ checks (6.824's config.go)

  /** Waits up to ~5 s for exactly one leader among the connected, live servers; returns it (server number). */
  checkOneLeader(): number {
    for (let iters = 0; iters < 10; iters++) {
      this.sleep(450 + this.rng.int(0, 100));
      const byTerm = new Map<number, number[]>();
      for (let i = 0; i < this.n; i++) {
        const node = this.cluster.node(this.id(i));
        if (this.connected[i] && node && node.isLeader()) byTerm.set(node.currentTerm, [...(byTerm.get(node.currentTerm) ?? []), i]);
      }
      let lastTerm = -1;
      for (const [term, leaders] of byTerm) {
        if (leaders.length > 1) this.fail(`term ${term} has ${leaders.length} (>1) leaders: ${leaders.map((l) => this.id(l)).join(', ')}`);
        lastTerm = Math.max(lastTerm, term);
      }
      if (byTerm.size > 0) return (byTerm.get(lastTerm) as number[])[0];
    }
    this.fail('expected one leader, got none');
  }

  /** All connected, live servers agree on the term; returns it. */
  checkTerms(): number {
    let term = -1;
    for (let i = 0; i < this.n; i++) {
      const node = this.cluster.node(this.id(i));
      if (!this.connected[i] || !node) continue;
      if (term === -1) term = node.currentTerm;
      else if (term !== node.currentTerm) this.fail(`servers disagree on term: ${this.id(i)} is in term ${node.currentTerm}, another in ${term}`);
    }
    return term;
  }

  /** No connected, live server believes it leads. */
  checkNoLeader(): void {
    for (let i = 0; i < this.n; i++) {
      const node = this.cluster.node(this.id(i));
      if (this.connected[i] && node && node.isLeader()) this.fail(`expected no leader among connected servers, but ${this.id(i)} claims to be leader`);
    }
  }

  /** How many servers have applied an entry at `index`, and its command (checking that they agree). */
  nCommitted(index: number): { count: number; command: unknown } {
    this.sync();
    if (this.applyError) this.fail(this.applyError);
    let count = 0;
    let command: string | undefined;
    for (let i = 0; i < this.applied.length; i++) {
      const c = this.applied[i].get(index);
      if (c === undefined) continue;
      if (count > 0 && c !== command) this.fail(`committed values do not match: index ${index}, ${command} vs ${c} at ${this.id(i)}`);
      count++;
      command = c;
    }
    return { count, command: command === undefined ? undefined : JSON.parse(command) };
  }

  /**
   * Asks server i to start agreement on `command` (6.824's rf.Start): if it leads, it appends
   * the command and the call returns its index and term; else isLeader is false.
   */
  start(server: number | NodeId, command: unknown): { index: number; term: number; isLeader: boolean } {
    const id = this.id(server);
    const node = this.cluster.node(id);
    if (!node || !node.isLeader()) return { index: -1, term: node?.currentTerm ?? -1, isLeader: false };
    const index = node.lastIndex + 1;
    const term = node.currentTerm;
    this.cluster.start(id, command);
    const handled = () => {
      const now = this.cluster.node(id);
      return now === null || now.lastIndex >= index || !now.isLeader();
    };
    this.sim.runUntil(handled, { maxEvents: 100_000 }); // the Start message is delivered at once
    return { index, term, isLeader: true };
  }

  /**
   * Does a complete agreement (6.824's cfg.one): finds a leader, starts `command`, and waits
   * until at least `expectedServers` servers applied it at one index; returns that index. With
   * `retry`, a failed attempt (the leader lost it) is tried again, for up to 10 s.
   */
  one(command: unknown, expectedServers: number, retry: boolean): number {
    const t0 = this.sim.now();
    let starts = 0;
    const wanted = canonicalJson(command);
    while (this.sim.now() - t0 < 10_000) {
      let index = -1;
      for (let si = 0; si < this.n; si++) {
        starts = (starts + 1) % this.n;
        if (this.connected[starts] && this.isUp(starts)) {
          const r = this.start(starts, command);
          if (r.isLeader) {
            index = r.index;
            break;
          }
        }
      }
      if (index !== -1) {
        const t1 = this.sim.now();
        while (this.sim.now() - t1 < 2000) {
          const { count, command: got } = this.nCommitted(index);
          if (count > 0 && count >= expectedServers && canonicalJson(got) === wanted) return index;
          this.sleep(20);
        }
        if (!retry) this.fail(`one(${wanted}) failed to reach agreement (started at index ${index})`);
      } else {
        this.sleep(50);
      }
    }
    this.fail(`one(${wanted}) failed to reach agreement within 10 s`);
  }

  /** Waits (with back-off, as 6.824's cfg.wait) for `n` servers to apply `index`; returns the command, or -1 if a server moved past `startTerm`. */
  wait(index: number, n: number, startTerm: number): unknown {
    let to = 10;
    for (let iters = 0; iters < 30; iters++) {
      const { count } = this.nCommitted(index);
      if (count >= n) break;
      this.sleep(to);
      if (to < 1000) to *= 2;
      if (startTerm > -1) {
        for (const id of this.cluster.servers) {
          const node = this.cluster.node(id);
          if (node && node.currentTerm > startTerm) return -1; // someone moved on: no guarantee any more
        }
      }
    }
    const { count, command } = this.nCommitted(index);
    if (count < n) this.fail(`only ${count} decided for index ${index}; wanted ${n}`);
    return command;
  }

  /** The largest log (entries, snapshot included) of any server: what the snapshot tests bound. */
  maxLogSize(): number {
    let size = 0;
    for (const id of this.cluster.servers) {
      const node = this.cluster.node(id);
      if (node) size = Math.max(size, node.state.log.entries.length);
    }
    return size;
  }

  /** Figure 3's properties over the trace so far. */
  safety(): RaftCheckResult {
    return this.cluster.safety();
  }

  /** Throws unless safety() holds and no apply error was seen: call it at the end of a test. */
  checkSafety(): void {
    this.sync();
    if (this.applyError) this.fail(this.applyError);
    const s = this.safety();
    if (!s.ok) this.fail(s.message);
  }

  /** Servers that applied the same number of entries have equal state machines (a snapshot carried the right state). */
  checkMachinesAgree(): void {
    const seen = new Map<number, { id: NodeId; machine: string }>();
    for (const id of this.cluster.servers) {
      const node = this.cluster.node(id);
      if (!node) continue;
      const machine = canonicalJson(node.state.machine);
      const other = seen.get(node.state.lastApplied);
      if (other && other.machine !== machine) this.fail(`${other.id} and ${id} both applied ${node.state.lastApplied} entries but their state machines differ`);
      seen.set(node.state.lastApplied, { id, machine });
    }
  }

  fail(message: string): never {
    this.sync();
    const where = `${this.name}, seed ${this.sim.seed}, at ${Math.round(this.sim.now())} ms`;
    throw new RaftHarnessError(`${message} (${where}; replay with the same seed)`, this.sim.seed);
  }

  /** Reads the servers' new 'applied' annotations from the trace and checks them (6.824's applier). */
  private sync(): void {
    const events = this.sim.trace.events;
    for (; this.cursor < events.length; this.cursor++) {
      const e = events[this.cursor];
      if (e.kind === 'restart' || e.kind === 'start') {
        this.lastApplied[this.index(e.node)] = 0;
        continue;
      }
      if (e.kind !== 'annotate') continue;
      const server = this.index(e.node);
      const data = e.data as { index: number; command: { type: string; data?: unknown } } | undefined;
      if (e.text === 'restored' || e.text === 'snapshot-installed') {
        const index = (e.data as { snapshotIndex?: number; index?: number }).snapshotIndex ?? (e.data as { index: number }).index;
        if (e.text === 'restored' || index > this.lastApplied[server]) this.lastApplied[server] = index;
        continue;
      }
      if (e.text !== 'applied' || !data) continue;
      const command = canonicalJson(data.command.type === 'command' ? data.command.data : { raft: data.command.type });
      if (data.index !== this.lastApplied[server] + 1 && this.applyError === null) {
        this.applyError = `server ${e.node} apply out of order: expected index ${this.lastApplied[server] + 1}, got ${data.index}`;
      }
      this.lastApplied[server] = data.index;
      const first = this.committed.get(data.index);
      if (first === undefined) this.committed.set(data.index, { server, command });
      else if (first.command !== command && this.applyError === null) {
        this.applyError = `commit index=${data.index} server=${e.node} ${command} != server=${this.id(first.server)} ${first.command}`;
      }
      this.applied[server].set(data.index, command);
    }
  }

  /** One line per server: role, term, last log index, commit index. */
  summary(): string {
    return this.cluster.servers
      .map((id, i) => {
        const node = this.cluster.node(id);
        if (!node) return `${id}: down`;
        const s = node.state;
        return `${id}${this.connected[i] ?? true ? '' : ' (disconnected)'}: ${s.role} term ${s.currentTerm} log ${lastLogIndex(s.log)} commit ${s.commitIndex}`;
      })
      .join('; ');
  }
}
