/**
 * scripts/setup.js with CONSENSUS_LAB_JUPYTER set (a Binder image, a JupyterHub): no .venv; the
 * tslab kernel is registered with the Jupyter on PATH through `jupyter kernelspec install` with
 * the mode's flag. A fake `jupyter` (a shell script that records its arguments and keeps the
 * installed specs in a folder) stands in for the real one, so this runs in about a second.
 * binder/postBuild runs the real thing.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..', '..');
const setupScript = path.join(root, 'scripts', 'setup.js');

const fakeJupyter = `#!/bin/sh
# Records each call; "kernelspec install ... DIR" copies DIR into $FAKE_KERNELS/<name>.
echo "$*" >> "$FAKE_KERNELS/calls.log"
case "$1 $2" in
  "--version ") echo "jupyter_core: 5.0 (fake)" ;;
  "kernelspec install")
    for last; do :; done
    name=tslab
    rm -rf "$FAKE_KERNELS/$name" && cp -r "$last" "$FAKE_KERNELS/$name" ;;
  "kernelspec list")
    if [ -d "$FAKE_KERNELS/tslab" ]; then
      printf '{"kernelspecs": {"tslab": {"resource_dir": "%s/tslab", "spec": {}}}}\\n' "$FAKE_KERNELS"
    else
      echo '{"kernelspecs": {}}'
    fi ;;
  *) echo "fake jupyter: unexpected $*" >&2; exit 2 ;;
esac
`;

function setupCall(code: string, env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['-e', code], { cwd: root, env, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('setup.js: registering the kernel with the Jupyter on PATH (CONSENSUS_LAB_JUPYTER)', function () {
  this.timeout(30_000);
  let work = '';
  let env: NodeJS.ProcessEnv = {};

  before(function () {
    if (process.platform === 'win32') this.skip();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'consensus-lab-setup-test-'));
    fs.mkdirSync(path.join(work, 'bin'));
    fs.mkdirSync(path.join(work, 'kernels'));
    fs.writeFileSync(path.join(work, 'bin', 'jupyter'), fakeJupyter, { mode: 0o755 });
    env = { ...process.env, PATH: `${path.join(work, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`, FAKE_KERNELS: path.join(work, 'kernels') };
    delete env.CONSENSUS_LAB_JUPYTER;
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  for (const [mode, flag] of [['sys-prefix', '--sys-prefix'], ['user', '--user'], ['system', '']] as const) {
    it(`${mode}: installs a spec that starts tslab with this node, by absolute paths${flag ? `, with ${flag}` : ''}`, () => {
      fs.rmSync(path.join(work, 'kernels', 'calls.log'), { force: true });
      const run = setupCall(`process.stdout.write(require(${JSON.stringify(setupScript)}).installKernelWithPathJupyter(${JSON.stringify(mode)}))`, env);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, path.join(work, 'kernels', 'tslab'));
      const calls = fs.readFileSync(path.join(work, 'kernels', 'calls.log'), 'utf8').trim().split('\n');
      const install = calls.find((line) => line.startsWith('kernelspec install'));
      assert.ok(install, calls.join('\n'));
      const words = install.split(' ');
      assert.deepEqual(words.slice(0, 5), ['kernelspec', 'install', '--replace', '--name', 'tslab']);
      assert.equal(words.includes('--sys-prefix'), flag === '--sys-prefix', install);
      assert.equal(words.includes('--user'), flag === '--user', install);
      const spec = JSON.parse(fs.readFileSync(path.join(work, 'kernels', 'tslab', 'kernel.json'), 'utf8')) as { argv: string[]; language: string };
      assert.equal(spec.argv[0], process.execPath);
      assert.equal(spec.argv[1], path.join(root, 'node_modules', 'tslab', 'bin', 'tslab'));
      assert.deepEqual(spec.argv.slice(2), ['kernel', '--config-path', '{connection_file}']);
      assert.equal(spec.language, 'typescript');
    });
  }

  it('refuses an unknown mode, and says what to do when jupyter is not on PATH', () => {
    const bad = setupCall(`require(${JSON.stringify(setupScript)}).jupyterMode()`, { ...env, CONSENSUS_LAB_JUPYTER: 'conda' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /CONSENSUS_LAB_JUPYTER must be venv, sys-prefix, user or system, got "conda"/);
    const noJupyter = setupCall(`require(${JSON.stringify(setupScript)}).installKernelWithPathJupyter('user')`, { ...env, PATH: path.dirname(process.execPath) });
    assert.equal(noJupyter.status, 1);
    assert.match(noJupyter.stderr, /`jupyter` is not on PATH/);
  });

  it('defaults to the project-local .venv when nothing says otherwise', () => {
    const run = setupCall(`process.stdout.write(require(${JSON.stringify(setupScript)}).jupyterMode({}))`, env);
    assert.equal(run.status, 0, run.stderr);
    const remembered = fs.existsSync(path.join(root, '.consensus-lab-jupyter'));
    assert.equal(run.stdout, remembered ? fs.readFileSync(path.join(root, '.consensus-lab-jupyter'), 'utf8').trim() : 'venv');
  });
});
