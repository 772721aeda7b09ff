#!/usr/bin/env node
// Opens notebooks in JupyterLab in a real browser, as a learner would, runs every cell and
// checks what the page shows: no error or stderr output, and every Vega-Lite and Plotly chart
// drawn. Saves a full screenshot of each notebook to out/screenshots/.
//
//   node scripts/browser-check.js [notebook ...] [--jobs N]   (N notebooks at a time, default 2)
//
// Uses Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH) through playwright-core: it
// never downloads a browser. JupyterLab is started with `scripts/start.js`, exactly as
// `npm start` does, on a free local port with a one-off token.
'use strict';
const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const outDir = path.join(root, 'out', 'screenshots');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForServer(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`JupyterLab did not answer at ${url} within ${timeoutMs / 1000} s`);
}

// Waits until the server reports the notebook's kernel idle (started and answering).
async function waitForIdleKernel(baseUrl, token, name, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const sessions = await (await fetch(`${baseUrl}/api/sessions?token=${token}`)).json();
      const session = sessions.find((s) => s.path === name || s.path.endsWith(`/${name}`));
      if (session && session.kernel && session.kernel.execution_state === 'idle') return;
    } catch {
      // the server is busy: ask again
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the kernel of ${name} was not idle within ${timeoutMs / 1000} s (see out/screenshots/jupyterlab.log)`);
}

// Ends the notebook's kernel once it has been checked, so that kernels do not pile up.
async function shutDownKernel(baseUrl, token, name) {
  try {
    const sessions = await (await fetch(`${baseUrl}/api/sessions?token=${token}`)).json();
    for (const session of sessions.filter((s) => s.path === name || s.path.endsWith(`/${name}`))) {
      await fetch(`${baseUrl}/api/sessions/${session.id}?token=${token}`, { method: 'DELETE' });
    }
  } catch {
    // the server is going away anyway
  }
}

async function checkNotebook(browser, baseUrl, token, name) {
  // Screenshots of an earlier check of this notebook would be mistaken for this one's.
  const base = name.replace(/\.ipynb$/, '');
  if (fs.existsSync(outDir)) {
    for (const file of fs.readdirSync(outDir)) {
      if (file === `${base}.png` || file === `${base}.failed.png` || (file.startsWith(`${base}.part`) && file.endsWith('.png'))) fs.rmSync(path.join(outDir, file));
    }
  }
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const started = Date.now();
  // a workspace of its own, so that no other notebook is open in the page
  const workspace = `check-${name.replace(/[^A-Za-z0-9]/g, '-')}`;
  await page.goto(`${baseUrl}/lab/workspaces/${workspace}/tree/${encodeURIComponent(name)}?reset&token=${token}`);
  await page.waitForSelector('.jp-Notebook .jp-Cell', { timeout: 60000 }).catch(async (error) => {
    // Keep what the page showed: a learner's first look at a notebook that did not open.
    fs.mkdirSync(outDir, { recursive: true });
    const shot = path.join(outDir, `${name.replace(/\.ipynb$/, '')}.failed.png`);
    await page.screenshot({ path: shot }).catch(() => {});
    throw new Error(`the notebook did not open within 60 s (page: ${JSON.stringify((await page.innerText('body').catch(() => '')).slice(0, 300))}; screenshot ${path.relative(root, shot)})`);
  });
  await page.waitForSelector('.jp-Notebook-ExecutionIndicator[data-status="idle"], .jp-Toolbar-kernelStatus, .jp-KernelStatus', { timeout: 60000 }).catch(() => {});
  // Wait for the kernel to be ready (the server says it is idle), then Run > Run All Cells. On a
  // busy machine a kernel can still drop the first requests: if no cell has started within
  // 30 s, the kernel is idle and every prompt is still blank, run them all again.
  await page.waitForFunction(() => !document.body.innerText.includes('Kernel starting'), null, { timeout: 60000 }).catch(() => {});
  await waitForIdleKernel(baseUrl, token, name, 90000);
  await page.waitForTimeout(1000);
  for (let attempt = 1; ; attempt++) {
    await page.click('.lm-MenuBar-itemLabel:text-is("Run")');
    await page.click('.lm-Menu-itemLabel:text-is("Run All Cells")');
    const started = await page
      .waitForFunction(() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].some((p) => /\[(\*|\d+)\]/.test(p.textContent || '')), null, { timeout: 30000, polling: 500 })
      .then(() => true, () => false);
    if (started) break;
    if (attempt === 3) throw new Error('Run All Cells started no cell, three times (see out/screenshots/jupyterlab.log)');
    console.log(`       ${name}: Run All Cells started no cell within 30 s; again`);
    await waitForIdleKernel(baseUrl, token, name, 90000);
  }
  // Done when every code cell has run, or when the run stopped at an error (JupyterLab then
  // leaves the cells after it unrun): no prompt shows [*] and an error is on the page.
  await page.waitForFunction(
    () => {
      const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map((p) => p.textContent || '');
      if (prompts.length === 0 || prompts.some((p) => p.includes('*'))) return false;
      const stopped = document.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]') !== null;
      return stopped || prompts.every((p) => /\[\d+\]/.test(p));
    },
    null,
    { timeout: 10 * 60000, polling: 1000 },
  ).catch(async () => {
    const prompts = await page.$$eval('.jp-CodeCell .jp-InputPrompt', (ps) => ps.map((p) => (p.textContent || '').trim()));
    fs.mkdirSync(outDir, { recursive: true });
    const shot = path.join(outDir, `${base}.failed.png`);
    await page.screenshot({ path: shot }).catch(() => {});
    throw new Error(`the cells did not finish within 10 minutes (prompts: ${prompts.join(' ')}; screenshot ${path.relative(root, shot)})`);
  });
  await page.waitForTimeout(2000); // let charts finish drawing
  // JupyterLab's Plotly renderer shows the bundle's PNG and draws the interactive plot when
  // the pointer first enters it: do what a learner does, and hover over each one.
  const plots = await page.$$('.jp-RenderedPlotly');
  for (const plot of plots) {
    await plot.scrollIntoViewIfNeeded();
    await plot.hover().catch(() => {});
    await plot.waitForSelector('.js-plotly-plot .main-svg', { timeout: 20000 }).catch(() => {});
  }
  const report = await page.evaluate(() => {
    const count = (selector) => document.querySelectorAll(selector).length;
    const errors = [...document.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')].map((e) => (e.textContent || '').slice(0, 300));
    return {
      cells: count('.jp-NotebookPanel .jp-Notebook .jp-CodeCell'),
      vegaDeclared: count('.jp-RenderedVegaCommon5'),
      vegaDrawn: [...document.querySelectorAll('.jp-RenderedVegaCommon5')].filter((o) => o.querySelector('.vega-embed .chart-wrapper svg, .vega-embed .chart-wrapper canvas, .vega-embed > svg, .vega-embed > canvas')).length,
      plotlyDeclared: count('.jp-RenderedPlotly'),
      plotlyDrawn: [...document.querySelectorAll('.jp-RenderedPlotly')].filter((o) => o.querySelector('.js-plotly-plot .main-svg')).length,
      errors,
    };
  });
  fs.mkdirSync(outDir, { recursive: true });
  const shot = path.join(outDir, name.replace(/\.ipynb$/, '.png'));
  // JupyterLab scrolls inside the notebook panel, so a "full page" screenshot shows one screen:
  // grow the window to the notebook's height (up to a limit) and take the whole of it.
  const contentHeight = await page.evaluate(() => {
    const scroller = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer') || document.querySelector('.jp-NotebookPanel-notebook');
    return scroller ? scroller.scrollHeight : 1000;
  });
  await page.setViewportSize({ width: 1400, height: Math.min(16000, contentHeight + 200) });
  await page.waitForTimeout(1000);
  await page.evaluate(() => {
    const scroller = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');
    if (scroller) scroller.scrollTop = 0;
  });
  await page.waitForTimeout(1000);
  await page.screenshot({ path: shot });
  // and the same in screen-sized parts, easier to look at one by one
  const viewport = page.viewportSize();
  const partHeight = 1800;
  for (let part = 0, y = 0; y < viewport.height; part++, y += partHeight) {
    const partPath = shot.replace(/\.png$/, `.part${part + 1}.png`);
    await page.screenshot({ path: partPath, clip: { x: 0, y, width: viewport.width, height: Math.min(partHeight, viewport.height - y) } });
  }
  await page.close();
  await shutDownKernel(baseUrl, token, name);
  const problems = [];
  if (report.errors.length > 0) problems.push(`${report.errors.length} error output(s): ${report.errors[0]}`);
  if (report.vegaDrawn < report.vegaDeclared) problems.push(`only ${report.vegaDrawn} of ${report.vegaDeclared} Vega-Lite charts drawn`);
  if (report.plotlyDrawn < report.plotlyDeclared) problems.push(`only ${report.plotlyDrawn} of ${report.plotlyDeclared} Plotly charts drawn`);
  return { name, seconds: (Date.now() - started) / 1000, report, shot, problems };
}

async function main() {
  const argv = process.argv.slice(2);
  const jobsFlag = argv.indexOf('--jobs');
  const jobs = jobsFlag >= 0 ? Number(argv[jobsFlag + 1]) : 2;
  if (!Number.isInteger(jobs) || jobs < 1) {
    console.error(`browser check: --jobs must be an integer >= 1, got ${JSON.stringify(argv[jobsFlag + 1])}`);
    process.exit(2);
  }
  const args = argv.filter((a, i) => !a.startsWith('--') && !(jobsFlag >= 0 && i === jobsFlag + 1));
  const notebooks = args.length > 0 ? args.map((a) => (path.basename(a).endsWith('.ipynb') ? path.basename(a) : `${path.basename(a)}.ipynb`)) : fs.readdirSync(path.join(root, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort();
  if (!fs.existsSync(chromiumPath)) {
    console.error(`browser check: no Chromium at ${chromiumPath}. Install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`);
    process.exit(2);
  }
  const { chromium } = require('playwright-core');
  const port = await freePort();
  const token = crypto.randomBytes(16).toString('hex');
  // One notebook per page, all cells laid out (no windowing), so a screenshot shows them all.
  const settingsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'consensus-lab-lab-settings-'));
  fs.mkdirSync(path.join(settingsDir, '@jupyterlab', 'notebook-extension'), { recursive: true });
  fs.writeFileSync(path.join(settingsDir, '@jupyterlab', 'notebook-extension', 'tracker.jupyterlab-settings'), JSON.stringify({ windowingMode: 'none' }));
  fs.mkdirSync(path.join(settingsDir, '@jupyterlab', 'apputils-extension'), { recursive: true });
  fs.writeFileSync(path.join(settingsDir, '@jupyterlab', 'apputils-extension', 'notification.jupyterlab-settings'), JSON.stringify({ fetchNews: 'false', checkForUpdates: false }));
  // The check must not write the outputs it produced back into notebooks/.
  fs.mkdirSync(path.join(settingsDir, '@jupyterlab', 'docmanager-extension'), { recursive: true });
  fs.writeFileSync(path.join(settingsDir, '@jupyterlab', 'docmanager-extension', 'plugin.jupyterlab-settings'), JSON.stringify({ autosave: false }));
  const lab = spawn(process.execPath, [path.join(root, 'scripts', 'start.js'), '--no-browser', `--port=${port}`, `--ServerApp.token=${token}`, '--ServerApp.ip=127.0.0.1'], {
    cwd: root,
    env: { ...process.env, JUPYTERLAB_SETTINGS_DIR: settingsDir, JUPYTERLAB_WORKSPACES_DIR: settingsDir },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  // JupyterLab's own log (kernel starts, restarts and deaths), kept beside the screenshots.
  fs.mkdirSync(outDir, { recursive: true });
  const labLogFile = path.join(outDir, 'jupyterlab.log');
  fs.writeFileSync(labLogFile, '');
  let labLog = '';
  lab.stderr.on('data', (d) => {
    labLog += d.toString();
    fs.appendFileSync(labLogFile, d);
  });
  const stopLab = () => {
    try {
      process.kill(-lab.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.on('exit', stopLab);
  const baseUrl = `http://127.0.0.1:${port}`;
  let failed = 0;
  try {
    await waitForServer(`${baseUrl}/api/status?token=${token}`, 90000);
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    // `jobs` notebooks at a time, each in its own page and kernel (most of a notebook's time is
    // its kernel computing, so two at once use both cores of a small machine).
    const queue = notebooks.slice();
    const worker = async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        try {
          const result = await checkNotebook(browser, baseUrl, token, name);
          const r = result.report;
          const status = result.problems.length === 0 ? 'ok' : 'FAILED';
          console.log(`${status.padEnd(6)} ${name}: ${r.cells} code cells, ${r.vegaDrawn}/${r.vegaDeclared} vega-lite and ${r.plotlyDrawn}/${r.plotlyDeclared} plotly charts drawn, ${result.seconds.toFixed(0)} s; screenshot ${path.relative(root, result.shot)}`);
          for (const p of result.problems) console.log(`       ${p}`);
          if (result.problems.length > 0) failed++;
        } catch (error) {
          failed++;
          console.log(`FAILED ${name}: ${error.message.split('\n')[0]}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, notebooks.length) }, worker));
    await browser.close();
  } catch (error) {
    console.error(`browser check: ${error.message}\n${labLog.slice(-2000)}`);
    failed = notebooks.length;
  } finally {
    stopLab();
    fs.rmSync(settingsDir, { recursive: true, force: true });
  }
  console.log(`${notebooks.length - failed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
