/**
 * Keeps nondeterminism out of protocol code: time and randomness belong to the simulator's
 * context (`ctx.now()`, `ctx.rng`, `ctx.setTimer`), so a seed replays a run exactly.
 * Scans lib/ (all but the charts and the grader, which run outside the simulation),
 * exercises/ and solutions/ for the calls that would break that.
 *
 * Usage: npm run lint
 */
import * as fs from 'fs';
import * as path from 'path';

export interface LintFinding {
  file: string;
  line: number;
  text: string;
  rule: string;
}

const RULES: { pattern: RegExp; rule: string }[] = [
  { pattern: /\bMath\.random\s*\(/, rule: 'Math.random: use ctx.rng (a seeded stream)' },
  { pattern: /\bDate\.now\s*\(|\bnew Date\s*\(/, rule: 'Date: use ctx.now() (virtual time)' },
  { pattern: /\bperformance\.now\s*\(|\bprocess\.hrtime\b/, rule: 'a real clock: use ctx.now() (virtual time)' },
  { pattern: /\bset(Timeout|Interval|Immediate)\s*\(/, rule: 'real timers: use ctx.setTimer (virtual time)' },
  { pattern: /\bcrypto\.random|\brandomBytes\s*\(|\brandomUUID\s*\(/, rule: 'real randomness: use ctx.rng (a seeded stream)' },
];

/** Folders whose code runs outside the simulation (real I/O is allowed there). */
const EXEMPT = ['lib/viz', 'lib/grade'];

export function lintDeterminism(root: string, folders = ['lib', 'exercises', 'solutions']): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const folder of folders) {
    for (const file of listTypeScript(path.join(root, folder))) {
      const relative = path.relative(root, file).split(path.sep).join('/');
      if (EXEMPT.some((dir) => relative.startsWith(dir + '/'))) continue;
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      lines.forEach((text, index) => {
        const code = text.replace(/\/\/.*$/, '');
        if (/^\s*(\*|\/\*)/.test(code)) return; // doc comments may mention what not to use
        for (const { pattern, rule } of RULES) {
          if (pattern.test(code)) findings.push({ file: relative, line: index + 1, text: text.trim(), rule });
        }
      });
    }
  }
  return findings;
}

function listTypeScript(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTypeScript(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out.sort();
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..', '..');
  const findings = lintDeterminism(root);
  for (const f of findings) console.log(`${f.file}:${f.line}: ${f.rule}\n    ${f.text}`);
  console.log(findings.length === 0 ? 'determinism lint: no real clocks, timers or randomness in protocol code' : `determinism lint: ${findings.length} finding(s)`);
  process.exit(findings.length === 0 ? 0 : 1);
}
