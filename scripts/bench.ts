/**
 * npm run bench: how fast the simulator runs on this machine, in one run so that the
 * ratios are fair on a shared, noisy machine.
 *
 * Each case runs in its own child process (so its peak memory is its own), five times;
 * we report the median events per second and the child's peak resident memory.
 * The bare event queue case does the same number of pops and pushes with the same number
 * of pending events, and nothing else: the simulator's overhead is the ratio to it.
 *
 * Then the linearizability checker on the recorded histories, the model checker on Basic
 * Paxos (states explored, states per second, time; scripts/bench-modelcheck.ts), and the wall
 * time of each graded suite against the reference solutions (scripts/bench-graded.ts), and
 * hash-ring lookups per second (scripts/bench-hashring.ts).
 *
 * Usage: npm run bench [-- --events N --repeat K --only NAME]
 *   (--only modelcheck, --only hashring, --only graded: that part alone)
 */
import { fork, spawnSync } from 'child_process';
import * as fs from 'fs';
import { BENCH_CASES, BenchResult } from './bench-cases';
import { benchLinearizability, defaultHistoriesDir, formatLinearizabilityBench } from './bench-linearizability';
import { benchGradedSuite, formatGradedBench, gradedTopics } from './bench-graded';
import { benchModelCheck, formatModelCheckBench } from './bench-modelcheck';

interface Row extends BenchResult {
  name: string;
  medianEventsPerSec: number;
  peakRssMb: number;
}

function parseArgs(argv: string[]): { events: number; repeat: number; only: string | null } {
  const options = { events: 1_000_000, repeat: 5, only: null as string | null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--events') options.events = Number(value);
    else if (flag === '--repeat') options.repeat = Number(value);
    else if (flag === '--only') options.only = value;
    else {
      console.error(`bench: unknown flag ${flag} (known: --events N, --repeat K, --only NAME)`);
      process.exit(2);
    }
    i++;
  }
  if (!(options.events >= 1000)) throw new Error('--events must be a number >= 1000');
  if (!(options.repeat >= 1)) throw new Error('--repeat must be a number >= 1');
  return options;
}

function runCase(name: string, events: number, repeat: number): Promise<Row> {
  return new Promise((resolve, reject) => {
    const child = fork(require.resolve('./bench-cases'), ['--case', name, '--events', String(events), '--repeat', String(repeat)], {
      execArgv: ['--expose-gc', '--max-old-space-size=8192'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (message) => resolve({ ...(message as BenchResult), name } as Row));
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`bench case ${name} exited with ${code}`));
    });
  });
}

function format(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function main(): Promise<void> {
  const { events, repeat, only } = parseArgs(process.argv.slice(2));
  const names = BENCH_CASES.map((c) => c.name).filter((n) => only === null || n.includes(only));
  console.log(`consensus-lab bench: ${format(events)} events per case, median of ${repeat} runs, node ${process.version}`);
  const rows: Row[] = [];
  for (const name of names) {
    const row = await runCase(name, events, repeat);
    rows.push(row);
    console.log(
      `${name.padEnd(34)} ${format(row.medianEventsPerSec).padStart(12)} events/s   peak RSS ${row.peakRssMb.toFixed(0).padStart(5)} MB   ${row.note ?? ''}` +
        (row.medianUnitsPerSec === undefined ? '' : `; ${format(row.medianUnitsPerSec)} ${row.unitsLabel}/s`),
    );
  }
  console.log('\nratios (simulator time per event / bare queue time per event, same pending-event count):');
  for (const row of rows) {
    if (!row.queueBaseline) continue;
    const baseline = rows.find((r) => r.name === row.queueBaseline);
    if (!baseline) continue;
    console.log(`  ${row.name.padEnd(32)} ${(baseline.medianEventsPerSec / row.medianEventsPerSec).toFixed(2)}x the bare queue (${row.queueBaseline})`);
  }
  if (only === null || 'linearizability'.includes(only)) {
    const dir = defaultHistoriesDir();
    if (fs.existsSync(dir)) {
      console.log(`\nlinearizability checker on the recorded histories in ${dir}:`);
      console.log(formatLinearizabilityBench(benchLinearizability(dir)));
    } else {
      console.log(`\nlinearizability checker: skipped (no histories at ${dir})`);
    }
  }
  if (only === null || 'modelcheck'.includes(only)) {
    console.log('\nmodel checker, Basic Paxos, 3 acceptors, 2 proposers ("once": each proposes once; "twice": may retry once):');
    console.log(formatModelCheckBench(benchModelCheck()));
  }
  if (only === null || 'hashring'.includes(only)) {
    console.log('');
    const ring = spawnSync(process.execPath, [require.resolve('./bench-hashring'), '--repeat', String(repeat)], { encoding: 'utf8' });
    process.stdout.write(ring.stdout + ring.stderr);
  }
  if (only === null || 'graded'.includes(only)) {
    const runs = Math.min(repeat, 3);
    console.log(`\ngraded suites against the reference solutions (wall time of \`npm run grade -- TOPIC --target solutions\`):`);
    console.log(formatGradedBench(gradedTopics().map((topic) => benchGradedSuite(topic, runs))));
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
