import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { lintDeterminism } from '../../scripts/lint-determinism';

const root = path.resolve(__dirname, '..', '..', '..');

describe('determinism lint', () => {
  it('finds no real clock, timer or randomness in lib/, exercises/ or solutions/', () => {
    const findings = lintDeterminism(root);
    assert.deepEqual(findings.map((f) => `${f.file}:${f.line} ${f.rule}`), []);
  });

  it('catches each forbidden call in a protocol file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-'));
    fs.mkdirSync(path.join(dir, 'lib', 'protocols'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'lib', 'protocols', 'bad.ts'),
      ['const a = Math.random();', 'const b = Date.now();', 'setTimeout(() => 1, 5);', '// Math.random() in a comment is fine', 'const c = new Date();'].join('\n'),
    );
    const findings = lintDeterminism(dir);
    assert.deepEqual(findings.map((f) => f.line), [1, 2, 3, 5]);
    assert.match(findings[0].rule, /ctx\.rng/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
