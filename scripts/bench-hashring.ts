/**
 * Ring lookups per second: 1,000 nodes with 100 virtual nodes each (100,000 tokens on a ring
 * of 2^32 positions), looking up 1,000,000 distinct keys (hash32 + binary search), then their
 * preference lists of N = 3 distinct nodes. Median of 5 runs.
 *
 * Usage: node dist/scripts/bench-hashring.js [--lookups N] [--repeat K]
 */
import { HashRing, nodeNames, sampleKeys } from '../lib/protocols/hashring';

function arg(flag: string, fallback: number): number {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeRate(work: () => number, repeat: number): number {
  const rates: number[] = [];
  for (let r = 0; r < repeat; r++) {
    const started = process.hrtime.bigint();
    const done = work();
    rates.push(done / (Number(process.hrtime.bigint() - started) / 1e9));
  }
  return median(rates);
}

const lookups = arg('--lookups', 1_000_000);
const repeat = arg('--repeat', 5);
const builtAt = process.hrtime.bigint();
const ring = new HashRing(nodeNames(1000), { virtualNodes: 100 });
const buildMs = Number(process.hrtime.bigint() - builtAt) / 1e6;
const keys = sampleKeys(lookups, 'user:');
let sink = 0;
const owner = timeRate(() => {
  for (const key of keys) sink += ring.owner(key).length;
  return keys.length;
}, repeat);
const list = timeRate(() => {
  for (let i = 0; i < keys.length; i += 10) sink += ring.preferenceList(keys[i], 3).length;
  return Math.ceil(keys.length / 10);
}, repeat);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`hash ring: 1,000 nodes x 100 virtual nodes = ${fmt(ring.state.positions.length)} tokens, built in ${buildMs.toFixed(0)} ms, node ${process.version}`);
console.log(`owner(key) (hash32 + binary search):     ${fmt(owner).padStart(12)} lookups/s (median of ${repeat} x ${fmt(keys.length)})`);
console.log(`preferenceList(key, 3) (3 distinct nodes): ${fmt(list).padStart(10)} lookups/s`);
if (sink === -1) console.log(sink);
