import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..', '..');

describe('tslab patch (scripts/patch-tslab.js)', function () {
  this.timeout(120000);

  it('is applied to the installed tslab', () => {
    const source = fs.readFileSync(path.join(root, 'node_modules', 'tslab', 'dist', 'converter.js'), 'utf8');
    assert.match(source, /consensus-lab patch: tolerant rebuild timer/);
    assert.match(source, /consensus-lab patch: shorthand properties/);
  });

  it('keeps a kernel working while the library is rebuilt under it', function () {
    if (!fs.existsSync(path.join(root, '.venv'))) this.skip(); // no Jupyter installed (CONSENSUS_LAB_SKIP_PYTHON)
    const fixture = path.join('test', 'fixtures', 'notebooks', 'kernel-survives-rebuild.ipynb');
    const run = spawnSync(process.execPath, [path.join(root, 'scripts', 'run-notebooks.js'), fixture], { cwd: root, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
  });

  it('lets a cell use a name from an earlier cell as a shorthand property ({ seed })', function () {
    if (!fs.existsSync(path.join(root, '.venv'))) this.skip();
    const fixture = path.join('test', 'fixtures', 'notebooks', 'shorthand-across-cells.ipynb');
    const run = spawnSync(process.execPath, [path.join(root, 'scripts', 'run-notebooks.js'), fixture], { cwd: root, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
  });
});
