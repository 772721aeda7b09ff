#!/usr/bin/env node
// npm run site: executes every notebook (headless, as `npm run test:notebooks` does) and writes
// a static HTML site to out/site/: one page per notebook, rendered by nbconvert, and an index.
// Every chart shows without a kernel: each chart output carries a PNG beside its Vega-Lite or
// Plotly JSON, and nbconvert's HTML shows the PNG. Open out/site/index.html in a browser.
//
//   node scripts/site.js [--out DIR] [--no-execute]
//
//   --out DIR       where the site goes (default out/site)
//   --no-execute    render the notebooks as saved in notebooks/ instead of running them first
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const setup = require('./setup');

const { root, notebooksDir } = setup;

function main() {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const out = outIndex >= 0 ? path.resolve(args[outIndex + 1]) : path.join(root, 'out', 'site');
  const execute = !args.includes('--no-execute');
  // nbconvert of the Jupyter that setup.js uses: .venv's, or the one on PATH (CONSENSUS_LAB_JUPYTER)
  const python = setup.jupyterPython();
  if (spawnSync(python, ['-c', 'import nbconvert'], { env: setup.jupyterEnv() }).status !== 0) {
    process.stderr.write(`site: ${python} cannot import nbconvert. Run \`npm install\` first.\n`);
    process.exit(2);
  }
  const names = fs.readdirSync(notebooksDir).filter((f) => f.endsWith('.ipynb')).sort();
  let source = notebooksDir;
  if (execute) {
    source = path.join(root, 'out', 'site-notebooks');
    const run = spawnSync(process.execPath, [path.join(__dirname, 'run-notebooks.js'), '--out', source], { stdio: 'inherit' });
    if (run.status !== 0) {
      process.stderr.write('site: a notebook failed (see above); no site written.\n');
      process.exit(1);
    }
  }
  fs.mkdirSync(out, { recursive: true });
  const pages = [];
  for (const name of names) {
    const input = path.join(source, name);
    const result = spawnSync(python, ['-m', 'nbconvert', '--to', 'html', '--output-dir', out, input], { encoding: 'utf8', env: setup.jupyterEnv() });
    if (result.status !== 0) {
      process.stderr.write(`site: nbconvert failed on ${name}:\n${result.stderr}`);
      process.exit(1);
    }
    // Links between notebooks (the start-here map) point at the pages instead.
    const page = path.join(out, name.replace(/\.ipynb$/, '.html'));
    fs.writeFileSync(page, fs.readFileSync(page, 'utf8').replace(/href="([\w.-]+)\.ipynb"/g, 'href="$1.html"'));
    const notebook = JSON.parse(fs.readFileSync(input, 'utf8'));
    const first = notebook.cells.find((c) => c.cell_type === 'markdown');
    const title = first ? [].concat(first.source).join('').split('\n')[0].replace(/^#+\s*/, '') : name;
    pages.push({ file: name.replace(/\.ipynb$/, '.html'), title });
  }
  const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const index = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>consensus-lab</title>
<style>body { font-family: sans-serif; max-width: 46em; margin: 2em auto; line-height: 1.5 } li { margin: 0.3em 0 }</style>
</head><body>
<h1>consensus-lab</h1>
<p>A course on how replicated systems agree and stay consistent. Each page is a notebook, run
${execute ? 'when this site was built' : 'as saved in the repository'}; the charts are PNG images of the interactive ones. To run the
code, change the seeds and do the exercises, install the course (see the README) and open the
notebooks in JupyterLab.</p>
<ol start="0">
${pages.map((p) => `  <li><a href="${p.file}">${escape(p.title)}</a></li>`).join('\n')}
</ol>
</body></html>
`;
  fs.writeFileSync(path.join(out, 'index.html'), index);
  process.stdout.write(`site: ${pages.length} pages and index.html in ${path.relative(process.cwd(), out) || '.'}\n`);
}

main();
