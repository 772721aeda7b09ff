import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, RandomStreams } from '../../lib/core';
import {
  HistoryEntryLike,
  HistoryFormatError,
  KvInput,
  KvOutput,
  LinearizabilityResult,
  Operation,
  RegisterInput,
  RegisterOutput,
  UNKNOWN,
  Unknown,
  checkHistory,
  checkKvHistory,
  checkOperations,
  checkRegisterHistory,
  detectFormat,
  kvModel,
  parseEdnHistory,
  parseHistory,
  parseJepsenLog,
  readEdn,
  Keyword,
  SequentialModel,
  registerModel,
} from '../../lib/checkers/linearizability';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const sharedHistories = path.resolve(repoRoot, '..', 'shared', 'histories');

/** A register operation called at `call` and returned at `ret` (Infinity: unknown outcome). */
function reg(process: string, input: RegisterInput, output: RegisterOutput | Unknown, call: number, ret: number, id = call): Operation<RegisterInput, RegisterOutput> {
  return { id, process, input, output, call, return: ret };
}
const write = (value: number) => ({ f: 'write' as const, value });
const read = { f: 'read' as const };
const cas = (expected: number | null, replacement: number) => ({ f: 'cas' as const, expected, new: replacement });

function kv(process: string, input: KvInput, output: KvOutput | Unknown, call: number, ret: number): Operation<KvInput, KvOutput> {
  return { id: call, process, input, output, call, return: ret };
}

function assertNotLinearizable(result: LinearizabilityResult): Extract<LinearizabilityResult, { ok: false }> {
  assert.equal(result.ok, false, `expected not linearizable, got ${JSON.stringify(result)}`);
  return result as Extract<LinearizabilityResult, { ok: false }>;
}

describe('linearizability checker (Herlihy & Wing 1990; Wing & Gong 1993; Lowe 2017; Porcupine)', () => {
  describe('recorded histories with known verdicts (../shared/histories, from Porcupine)', () => {
    const verdictsFile = path.join(sharedHistories, 'verdicts.txt');
    const present = fs.existsSync(verdictsFile);
    const verdicts = present
      ? fs
          .readFileSync(verdictsFile, 'utf8')
          .trim()
          .split('\n')
          .slice(1)
          .map((line) => line.trim().split(/\s+/) as [string, string])
      : [];

    it('finds the shared histories folder', function () {
      if (!present) {
        console.log(`      (skipped: no recorded histories at ${sharedHistories}; the verdict tests need ../shared/histories next to the repository)`);
        this.skip();
      }
      assert.ok(verdicts.length >= 58, `verdicts.txt lists ${verdicts.length} histories`);
    });

    for (const [file, expected] of verdicts) {
      it(`${file} is ${expected}`, () => {
        const history = parseHistory(fs.readFileSync(path.join(sharedHistories, file), 'utf8'), { file });
        const result = checkHistory(history);
        assert.notEqual(result.ok, 'unknown', `budget ran out on ${file}`);
        assert.equal(result.ok ? 'linearizable' : 'not-linearizable', expected, result.ok === false ? result.message : '');
        if (result.ok === false) {
          if (history.model === 'kv') assert.ok(result.counterexample.key !== undefined, 'a kv counterexample names its key');
          assert.match(result.message, /returned at line \d+ \(process \d+, called at line \d+\)/);
        }
      });
    }

    it('kv/c50-bad.txt stops at the first key that fails (P-compositionality, interleaved like Porcupine)', function () {
      if (!present) this.skip();
      const history = parseHistory(fs.readFileSync(path.join(sharedHistories, 'kv/c50-bad.txt'), 'utf8'), { file: 'c50-bad.txt' });
      const result = assertNotLinearizable(checkHistory(history));
      assert.equal(result.stats.partitions, 10);
      assert.ok(result.stats.steps < 1_000_000, `took ${result.stats.steps} steps`);
      assert.match(result.message, /^Not linearizable on key '\d+': get\('\d+'\) -> '.*' returned at line \d+/);
    });
  });

  describe('register: hand-written cases', () => {
    it('accepts the empty history', () => {
      assert.deepEqual(checkOperations(registerModel, []).ok, true);
      assert.equal(checkHistory(parseHistory('', { format: 'jepsen-log' })).ok, true);
      assert.equal(checkKvHistory([]).ok, true);
    });

    it('rejects a stale read: a read that starts after a write returned must see it', () => {
      const result = assertNotLinearizable(checkOperations(registerModel, [reg('a', write(1), true, 0, 1), reg('b', read, null, 2, 3)]));
      assert.equal(
        result.message,
        'Not linearizable: read() -> nil returned at t=3 (process b, called at t=2), but after the linearizable order [write(1) [a, t=0 to t=1]] the register held 1.',
      );
      assert.equal(result.counterexample.blocked.description, 'read() -> nil');
      assert.deepEqual(result.counterexample.linearizablePrefix.map((op) => op.description), ['write(1)']);
      assert.equal(result.counterexample.stateAfterPrefix, 'the register held 1');
    });

    it('rejects a lost write: an acknowledged write that a later read does not see', () => {
      const ops = [reg('a', write(1), true, 0, 1), reg('b', write(2), true, 2, 3), reg('c', read, 1, 4, 5)];
      const result = assertNotLinearizable(checkOperations(registerModel, ops));
      assert.match(result.message, /read\(\) -> 1 returned at t=5 .* the register held 2\./);
    });

    it('rejects a cas that saw the wrong value, either way', () => {
      // cas(1, 2) failed (saw another value) although the register held 1.
      const failed = [reg('a', write(1), true, 0, 1), reg('b', cas(1, 2), false, 2, 3)];
      assert.match(assertNotLinearizable(checkOperations(registerModel, failed)).message, /cas\(1, 2\) -> fail \(saw another value\) returned at t=3/);
      // cas(2, 3) succeeded although the register held 1.
      const succeeded = [reg('a', write(1), true, 0, 1), reg('b', cas(2, 3), true, 2, 3)];
      assert.match(assertNotLinearizable(checkOperations(registerModel, succeeded)).message, /cas\(2, 3\) -> ok .* the register held 1/);
      // And a cas on nil: the register starts with no value.
      assert.equal(checkOperations(registerModel, [reg('a', cas(null, 5), true, 0, 1), reg('b', read, 5, 2, 3)]).ok, true);
    });

    it('accepts concurrent overlapping operations that some order explains', () => {
      // write(1) overlaps both reads: the first read is before it, the second after.
      const ops = [reg('a', write(1), true, 0, 10), reg('b', read, null, 1, 2), reg('b', read, 1, 3, 4), reg('c', read, 1, 5, 6)];
      assert.equal(checkOperations(registerModel, ops).ok, true);
      // Two overlapping writes, seen in the order 2 then 1 by two later reads.
      const writes = [reg('a', write(1), true, 0, 5), reg('b', write(2), true, 1, 6), reg('c', read, 2, 2, 3), reg('c', read, 1, 7, 8)];
      assert.equal(checkOperations(registerModel, writes).ok, true);
      // But once a read saw the newer value, a later read cannot go back.
      const back = [reg('a', write(1), true, 0, 10), reg('b', read, 1, 1, 2), reg('c', read, null, 3, 4)];
      assertNotLinearizable(checkOperations(registerModel, back));
    });

    it('treats an :info write as maybe applied, at any time after its call, or never', () => {
      const info = reg('a', write(1), UNKNOWN, 0, Infinity);
      assert.equal(checkOperations(registerModel, [info, reg('b', read, 1, 5, 6)]).ok, true, 'assumed applied');
      assert.equal(checkOperations(registerModel, [info, reg('b', read, null, 5, 6)]).ok, true, 'assumed not applied');
      assert.equal(checkOperations(registerModel, [info, reg('b', read, null, 5, 6), reg('b', read, 1, 7, 8)]).ok, true, 'applied late');
      // It cannot be applied and then undone.
      const undone = [info, reg('b', read, 1, 5, 6), reg('b', read, null, 7, 8)];
      const result = assertNotLinearizable(checkOperations(registerModel, undone));
      assert.match(result.message, /read\(\) -> nil returned at t=8/);
      // Nor take effect before its call.
      assertNotLinearizable(checkOperations(registerModel, [reg('b', read, 1, 0, 1), reg('a', write(1), UNKNOWN, 2, Infinity)]));
    });

    it('reads the same cases from Jepsen log lines, skipping what is not a client event', () => {
      const log = [
        'INFO  jepsen.core - Worker 1 starting',
        'INFO  jepsen.util - 1\t:invoke\t:write\t1',
        'INFO  jepsen.util - :nemesis\t:info\t:start\tnil',
        'INFO  jepsen.util - 1\t:info\t:write\t:timed-out',
        'INFO  jepsen.util - 2   :invoke :read   nil',
        'INFO  jepsen.util - 2   :fail   :read   :timed-out',
        'INFO  jepsen.util - 3\t:invoke\t:read\tnil',
        'INFO  jepsen.util - 3\t:ok\t:read\t1',
        'INFO  jepsen.util - 3\t:invoke\t:cas\t[1 4]',
        'INFO  jepsen.util - 3\t:fail\t:cas\t[1 4]',
        '',
      ].join('\n');
      const history = parseHistory(log, { file: 'mini.log' });
      assert.equal(history.format, 'jepsen-log');
      assert.equal(history.model, 'register');
      assert.equal(history.skippedLines, 2);
      assert.deepEqual(history.stats, { operations: 3, unknownOutcome: 1, dropped: 1 });
      assert.equal(history.operations[0].return, Infinity);
      // The failed cas saw a value other than 1, but the register held 1: not linearizable ...
      const result = assertNotLinearizable(checkHistory(history));
      assert.match(result.message, /cas\(1, 4\) -> fail \(saw another value\) returned at line 10 \(process 3, called at line 9\)/);
      // ... unless a failed cas only means "did nothing".
      assert.equal(checkHistory(parseHistory(log, { failedCas: 'no-effect' })).ok, true);
    });
  });

  describe('key-value store: hand-written cases', () => {
    it('splits by key (P-compositionality) and names the key in the counterexample', () => {
      const ops = [
        kv('a', { f: 'put', key: 'x', value: 'a' }, true, 0, 1),
        kv('b', { f: 'append', key: 'y', value: 'b' }, true, 2, 3),
        kv('c', { f: 'get', key: 'x' }, 'a', 4, 5),
        kv('c', { f: 'get', key: 'y' }, 'b', 6, 7),
        kv('d', { f: 'get', key: 'z' }, '', 8, 9),
      ];
      const ok = checkOperations(kvModel, ops);
      assert.equal(ok.ok, true);
      assert.equal(ok.stats.partitions, 3);
      const lost = [...ops, kv('e', { f: 'append', key: 'y', value: 'c' }, true, 10, 11), kv('e', { f: 'get', key: 'y' }, 'b', 12, 13)];
      const result = assertNotLinearizable(checkOperations(kvModel, lost));
      assert.equal(result.counterexample.key, 'y');
      assert.equal(
        result.message,
        "Not linearizable on key 'y': get('y') -> 'b' returned at t=13 (process e, called at t=12), but after the linearizable order " +
          "[append('y', 'b') [b, t=2 to t=3], get('y') -> 'b' [c, t=6 to t=7], append('y', 'c') [e, t=10 to t=11]] the value was 'bc'.",
      );
    });

    it('reads EDN maps, and an append of unknown outcome may or may not have happened', () => {
      const edn = [
        '{:process 0, :type :invoke, :f :append, :key "1", :value "x 0 0 y"}',
        '{:process :nemesis, :type :info, :f :start, :value nil}',
        '{:process 0, :type :info, :f :append, :key "1", :value "x 0 0 y"}',
        '{:process 1, :type :invoke, :f :get, :key "1", :value nil}',
        '{:process 1, :type :ok, :f :get, :key "1", :value ""}',
        '{:process 1, :type :invoke, :f :get, :key "1", :value nil}',
        '{:process 1, :type :ok, :f :get, :key "1", :value "x 0 0 y"}',
      ].join('\n');
      const history = parseHistory(edn, { file: 'mini.txt' });
      assert.equal(history.format, 'edn');
      assert.equal(history.model, 'kv');
      assert.equal(history.skippedLines, 1);
      assert.equal(checkHistory(history).ok, true);
      const undone = edn + '\n{:process 1, :type :invoke, :f :get, :key "1", :value nil}\n{:process 1, :type :ok, :f :get, :key "1", :value ""}';
      const result = assertNotLinearizable(checkHistory(parseHistory(undone)));
      assert.match(result.message, /^Not linearizable on key '1': get\('1'\) -> '' returned at line 9 \(process 1, called at line 8\)/);
    });
  });

  describe("the simulator's history (HistoryEntry[])", () => {
    const entry = (opId: number, process: string, type: HistoryEntryLike['type'], f: string, value: unknown, timeMs: number): HistoryEntryLike => ({
      opId,
      process,
      type,
      f,
      value,
      timeMs,
    });

    it('checks a register run; an operation never completed has an unknown outcome', () => {
      const history = [
        entry(0, 'c1', 'invoke', 'write', 3, 0),
        entry(1, 'c2', 'invoke', 'cas', [3, 4], 1),
        entry(0, 'c1', 'ok', 'write', undefined, 2),
        entry(2, 'c1', 'invoke', 'read', undefined, 2),
        entry(2, 'c1', 'ok', 'read', 4, 3),
        entry(3, 'c3', 'invoke', 'write', 9, 4),
      ];
      assert.equal(checkRegisterHistory(history).ok, true);
      const stale = [...history, entry(4, 'c1', 'invoke', 'read', undefined, 5), entry(4, 'c1', 'ok', 'read', 3, 6)];
      const result = assertNotLinearizable(checkRegisterHistory(stale));
      assert.match(result.message, /read\(\) -> 3 returned at 6 ms \(process c1, called at 5 ms\)/);
    });

    it('checks a key-value run with values { key, value }', () => {
      const history = [
        entry(0, 'c1', 'invoke', 'put', { key: 'k', value: 'a' }, 0),
        entry(0, 'c1', 'ok', 'put', undefined, 1),
        entry(1, 'c2', 'invoke', 'append', { key: 'k', value: 'b' }, 1),
        entry(2, 'c1', 'invoke', 'get', { key: 'k' }, 2),
        entry(2, 'c1', 'ok', 'get', { key: 'k', value: 'ab' }, 3),
        entry(1, 'c2', 'fail', 'append', undefined, 4),
      ];
      // The append failed (no effect), yet a get saw it.
      assertNotLinearizable(checkKvHistory(history));
      history[5] = entry(1, 'c2', 'ok', 'append', undefined, 4);
      assert.equal(checkKvHistory(history).ok, true);
      history[4] = entry(2, 'c1', 'ok', 'get', 'a', 3);
      assert.equal(checkKvHistory(history).ok, true, 'a plain string also works as the value a get returned');
    });

    it('reads the JSON of a saved history', () => {
      const json = JSON.stringify([entry(0, 'c1', 'invoke', 'get', { key: 'k' }, 0), entry(0, 'c1', 'ok', 'get', { key: 'k', value: 'z' }, 1)]);
      const history = parseHistory(json);
      assert.equal(history.format, 'json');
      assert.equal(history.model, 'kv');
      assert.match(assertNotLinearizable(checkHistory(history)).message, /get\('k'\) -> 'z' returned at 1 ms/);
    });
  });

  describe('seeded sweep: agrees with a brute-force search over every order', () => {
    /** Herlihy & Wing's definition, literally: some order that respects real time and the model. */
    function bruteForce<S, I, O>(model: SequentialModel<S, I, O>, ops: Operation<I, O>[]): boolean {
      const used = new Array(ops.length).fill(false);
      const extend = (state: S, count: number): boolean => {
        if (count === ops.length) return true;
        for (let i = 0; i < ops.length; i++) {
          if (used[i]) continue;
          // ops[i] may go next unless some other remaining operation returned before it was called.
          if (ops.some((other, j) => !used[j] && j !== i && other.return < ops[i].call)) continue;
          const [ok, next] = model.step(state, ops[i].input, ops[i].output);
          if (!ok) continue;
          used[i] = true;
          const found = extend(next, count + 1);
          used[i] = false;
          if (found) return true;
        }
        return false;
      };
      return extend(model.init(), 0);
    }

    function randomRegisterHistory(seed: number): Operation<RegisterInput, RegisterOutput>[] {
      const rng = new RandomStreams(seed).stream('history');
      const ops: Operation<RegisterInput, RegisterOutput>[] = [];
      for (let process = 0; process < 3; process++) {
        let time = rng.int(0, 3);
        for (let k = 0, n = rng.int(1, 3); k < n; k++) {
          const call = time + rng.uniform(0, 2);
          const ret = call + rng.uniform(0.1, 4);
          time = ret;
          const value = rng.int(0, 2);
          const unknown = rng.chance(0.15);
          const kind = rng.int(0, 2);
          const input: RegisterInput = kind === 0 ? read : kind === 1 ? write(value) : cas(rng.chance(0.2) ? null : rng.int(0, 2), value);
          const output: RegisterOutput | Unknown =
            input.f === 'read' ? (rng.chance(0.2) ? null : rng.int(0, 2)) : input.f === 'cas' ? (unknown ? UNKNOWN : rng.chance(0.5)) : unknown ? UNKNOWN : true;
          ops.push(reg(String(process), input, output, call, output === UNKNOWN ? Infinity : ret, ops.length));
          if (output === UNKNOWN) break;
        }
      }
      return ops;
    }

    it('on 400 random register histories (reads, writes, cas, unknown outcomes)', () => {
      let linearizable = 0;
      for (let seed = 1; seed <= 400; seed++) {
        const ops = randomRegisterHistory(seed);
        const expected = bruteForce(registerModel, ops);
        const got = checkOperations(registerModel, ops).ok;
        assert.equal(got, expected, `seed ${seed}: ${JSON.stringify(ops)}`);
        if (expected) linearizable++;
      }
      assert.ok(linearizable > 40 && linearizable < 360, `the sweep should mix verdicts, got ${linearizable}/400 linearizable`);
    });

    it('on 200 random key-value histories over two keys', () => {
      for (let seed = 1; seed <= 200; seed++) {
        const rng = new RandomStreams(seed).stream('kv');
        const ops: Operation<KvInput, KvOutput>[] = [];
        for (let process = 0; process < 3; process++) {
          let time = 0;
          for (let k = 0; k < 3; k++) {
            const call = time + rng.uniform(0, 2);
            const ret = call + rng.uniform(0.1, 3);
            time = ret;
            const key = rng.chance(0.5) ? 'a' : 'b';
            const kind = rng.int(0, 2);
            const letter = String.fromCharCode(97 + rng.int(0, 2));
            const input: KvInput = kind === 0 ? { f: 'get', key } : kind === 1 ? { f: 'put', key, value: letter } : { f: 'append', key, value: letter };
            const output = input.f === 'get' ? ['', 'a', 'b', 'ab', 'ba', 'c'][rng.int(0, 5)] : true;
            ops.push({ id: ops.length, process: String(process), input, output, call, return: ret });
          }
        }
        const expected = kvModel.partition!(ops).every((part) => bruteForce(kvModel, part.operations));
        assert.equal(checkOperations(kvModel, ops).ok, expected, `seed ${seed}`);
      }
    });
  });

  describe('budget', () => {
    const hard = () => {
      // Many overlapping writes and a final read nobody wrote: the search must try every order.
      const ops: Operation<RegisterInput, RegisterOutput>[] = [];
      for (let i = 0; i < 14; i++) ops.push(reg(`p${i}`, write(i), true, i, 100 + i, i));
      ops.push(reg('r', read, 99, 200, 201, 14));
      return ops;
    };

    it('returns unknown with a clear note when the step budget runs out', () => {
      const result = checkOperations(registerModel, hard(), { maxSteps: 500 });
      assert.equal(result.ok, 'unknown');
      assert.match((result as { message: string }).message, /^Unknown: the search used up its budget of 500 search steps \(maxSteps\) before it could decide the history \(15 operations\)\. The history may be linearizable or not/);
      assert.equal(checkOperations(registerModel, hard()).ok, false, 'with the default budget it decides');
    });

    it('returns unknown when the time budget runs out, reading the clock it is given', () => {
      let now = 0;
      const clock = () => (now += 1);
      const result = checkOperations(registerModel, hard(), { timeoutMs: 3, clock });
      assert.equal(result.ok, 'unknown');
      assert.match((result as { message: string }).message, /time budget of 3 ms \(timeoutMs\)/);
      assert.throws(() => checkOperations(registerModel, hard(), { timeoutMs: 10 }), ConfigError);
    });
  });

  describe('parsers', () => {
    it('reads the EDN that Jepsen writes', () => {
      const map = readEdn('{:process 9, :type :invoke, :f :append, :key "0", :value "x \\"9\\" 0 y"}') as Record<string, unknown>;
      assert.equal(map.process, 9);
      assert.ok(map.type instanceof Keyword && map.type.name === 'invoke');
      assert.equal(map.value, 'x "9" 0 y');
      assert.deepEqual(readEdn('[4 2]'), [4, 2]);
      assert.equal(readEdn('nil'), null);
    });

    it('detects the format from the content, then the extension', () => {
      assert.equal(detectFormat('INFO  jepsen.util - 0\t:invoke\t:read\tnil'), 'jepsen-log');
      assert.equal(detectFormat('0 :invoke :read nil'), 'jepsen-log');
      assert.equal(detectFormat('\n{:process 0, :type :invoke, :f :read, :value nil}'), 'edn');
      assert.equal(detectFormat('[]'), 'json');
      assert.equal(detectFormat('', 'x.log'), 'jepsen-log');
      assert.throws(() => detectFormat('hello', 'x.bin'), HistoryFormatError);
    });

    it('names the file and line of a bad event', () => {
      const cases: [string, (text: string) => unknown, RegExp][] = [
        ['INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:write\t3', (t) => parseHistory(t, { file: 'a.log' }), /^a\.log:2: process 0 invoked :read at line 1 but completed :write$/],
        ['INFO  jepsen.util - 0\t:ok\t:read\t3', (t) => parseHistory(t, { file: 'a.log' }), /^a\.log:1: process 0 completed \(:ok :read\) an operation it never invoked$/],
        ['INFO  jepsen.util - 0 :invoke :read nil\nINFO  jepsen.util - 0 :invoke :read nil', (t) => parseHistory(t, { file: 'a.log' }), /^a\.log:2: process 0 invoked :read while its :read from line 1/],
        ['INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2', (t) => parseJepsenLog(t, 'a.log'), /^a\.log:1: cannot read the value "\[1 2"/],
        ['garbage here', (t) => parseJepsenLog(t, 'a.log'), /^a\.log:1: not a Jepsen event/],
        ['{:process 0, :type :invoke, :f :incr, :value 1}\n{:process 0, :type :ok, :f :incr, :value 1}', (t) => parseHistory(t, { file: 'b.edn' }), /^b\.edn:2: the register has no operation :incr/],
        ['{:process 0, :type :invoke, :f :get, :key "1", :value nil}\n{:process 0 :type :ok', (t) => parseEdnHistory(t, 'b.txt'), /^b\.txt:2: not an EDN map/],
        ['{:process 0, :type :maybe, :f :get}', (t) => parseEdnHistory(t, 'b.txt'), /^b\.txt:1: :type must be :invoke, :ok, :fail or :info/],
      ];
      for (const [text, parse, message] of cases) {
        assert.throws(() => parse(text), (error: unknown) => error instanceof HistoryFormatError && message.test(error.message), text);
      }
    });
  });

  describe('npm run check-history', () => {
    const cli = path.join(repoRoot, 'dist', 'scripts', 'check-history.js');
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

    it('ends with "linearizable" or "not linearizable" and exits 0 or 1', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-history-'));
      const good = path.join(dir, 'good.log');
      fs.writeFileSync(good, '0 :invoke :write 1\n0 :ok :write 1\n1 :invoke :read nil\n1 :ok :read 1\n');
      const bad = path.join(dir, 'bad.txt');
      fs.writeFileSync(bad, '{:process 0, :type :invoke, :f :get, :key "k", :value nil}\n{:process 0, :type :ok, :f :get, :key "k", :value "v"}\n');
      const broken = path.join(dir, 'broken.log');
      fs.writeFileSync(broken, '0 :invoke :write 1\n0 :ok :write\n1 :invoke :read nil oops [\n');
      try {
        const ok = run(good);
        assert.equal(ok.status, 0, ok.stderr);
        assert.equal(ok.stdout.trimEnd().split('\n').pop(), 'linearizable');
        const no = run(bad);
        assert.equal(no.status, 1, no.stderr);
        const lines = no.stdout.trimEnd().split('\n');
        assert.equal(lines.pop(), 'not linearizable');
        assert.match(lines.pop() as string, /^Not linearizable on key 'k': get\('k'\) -> 'v' returned at line 2/);
        const error = run(broken);
        assert.equal(error.status, 2);
        assert.match(error.stderr, /broken\.log:3: cannot read the value "nil oops \["/);
        assert.equal(run(path.join(dir, 'missing.log')).status, 2);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
