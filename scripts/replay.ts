/**
 * npm run replay -- <topic> "<test name>" --seed N [--target solutions] [--out DIR] [--window MS]
 *
 * Re-runs one graded test with one seed, in this process, and saves what the simulator saw in
 * the last run it made (for a failing sweep: the failing seed's run): its whole trace as JSON
 * and a space-time diagram of its last `--window` ms (default 300) as PNG, under out/replay/
 * (or --out). A graded failure prints this command beside `npm run grade -- ... --seed N`.
 * A notebook can do the same: `replayGradedTest(...)` returns the simulator, and
 * `chart(spaceTimeDiagram(sim.trace.events, { fromMs }))` draws it inline.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Simulator } from '../lib/sim';
import { GradedSuite, isGradedSuite } from '../lib/grade';
import { targetVariable } from '../lib/grade/target';
import { renderPng, spaceTimeDiagram } from '../lib/viz';

interface ReplayOptions {
  topic: string;
  testName: string;
  seed: number;
  target: 'exercises' | 'solutions';
  out: string;
  windowMs: number;
}

function usage(message: string): never {
  console.error(`replay: ${message}\nusage: npm run replay -- <topic> "<test name>" --seed N [--target solutions] [--out DIR] [--window MS]`);
  process.exit(2);
}

function parseArgs(argv: string[]): ReplayOptions {
  const positional: string[] = [];
  const options = { seed: NaN, target: 'exercises' as 'exercises' | 'solutions', out: path.join(__dirname, '..', '..', 'out', 'replay'), windowMs: 300 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--seed') options.seed = Number(argv[++i]);
    else if (arg === '--target') {
      const t = argv[++i];
      if (t !== 'exercises' && t !== 'solutions') usage(`--target must be 'exercises' or 'solutions', got ${JSON.stringify(t)}`);
      options.target = t;
    } else if (arg === '--out') options.out = path.resolve(argv[++i]);
    else if (arg === '--window') options.windowMs = Number(argv[++i]);
    else if (arg.startsWith('--')) usage(`unknown flag ${arg}`);
    else positional.push(arg);
  }
  if (positional.length !== 2) usage('give a topic and a test name');
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) usage('--seed must be an integer >= 0');
  if (!(options.windowMs > 0)) usage('--window must be a number of milliseconds > 0');
  return { topic: positional[0], testName: positional[1], ...options };
}

/**
 * Runs graded test `testName` of `topic` with exactly `seed`; returns how it ended and every
 * simulator it made, in order.
 *
 * @example
 *   const r = await replayGradedTest('paxos', 'agreement under loss, duplication, reordering, partitions and crashes', 7);
 *   r.sims[r.sims.length - 1].trace.events; // the run of seed 7
 */
export async function replayGradedTest(topic: string, testName: string, seed: number, target: 'exercises' | 'solutions' = 'exercises'): Promise<{ error: unknown; sims: Simulator[] }> {
  process.env[targetVariable] = target;
  const file = path.join(__dirname, '..', 'test', 'graded', `${topic}.graded.js`);
  if (!fs.existsSync(file)) usage(`no graded suite for topic ${JSON.stringify(topic)} (${path.relative(process.cwd(), file)})`);
  const loaded = require(file) as { default?: unknown };
  const suite = loaded.default;
  if (!isGradedSuite(suite)) usage(`${file} does not export a graded suite`);
  const test = (suite as GradedSuite).tests.find((t) => t.name === testName);
  if (!test) usage(`no test named ${JSON.stringify(testName)} in ${topic}; the tests are:\n  ${(suite as GradedSuite).tests.map((t) => t.name).join('\n  ')}`);
  const sims: Simulator[] = [];
  Simulator.onCreate = (sim) => sims.push(sim);
  let error: unknown = null;
  try {
    await test.run({ seeds: () => [seed], target, topic, testName, log: (...args: unknown[]) => console.log(...args) });
  } catch (e) {
    error = e;
  } finally {
    Simulator.onCreate = null;
  }
  return { error, sims };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const { error, sims } = await replayGradedTest(options.topic, options.testName, options.seed, options.target);
  console.log(`${options.topic}: ${options.testName}, seed ${options.seed}, ${options.target}: ${error === null ? 'passed' : `failed: ${(error as Error).message ?? String(error)}`}`);
  const sim = sims[sims.length - 1];
  if (!sim) {
    console.log('this test ran no simulation (a unit case of a rule): there is no trace to save');
    return;
  }
  if (!sim.trace.record) {
    console.log('the last simulation ran with its trace off: there is no trace to save');
    return;
  }
  fs.mkdirSync(options.out, { recursive: true });
  const slug = `${options.topic}-${options.testName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60)}-seed${options.seed}`;
  const events = sim.trace.events;
  const tracePath = path.join(options.out, `${slug}.trace.json`);
  fs.writeFileSync(tracePath, JSON.stringify({ seed: sim.seed, events }, null, 1) + '\n');
  const endMs = sim.now();
  const fromMs = Math.max(0, endMs - options.windowMs);
  const pngPath = path.join(options.out, `${slug}.png`);
  fs.writeFileSync(pngPath, renderPng(spaceTimeDiagram(events, { title: `${options.topic}: ${options.testName} (seed ${options.seed})`, fromMs, toMs: endMs })));
  console.log(`${sims.length} simulation(s); the last one (${events.length} trace events, ${endMs.toFixed(1)} ms of virtual time):`);
  console.log(`  trace:   ${path.relative(process.cwd(), tracePath)}`);
  console.log(`  diagram: ${path.relative(process.cwd(), pngPath)} (the last ${options.windowMs} ms)`);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
