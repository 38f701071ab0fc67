// cdp.js -- drive headless chromium over the DevTools protocol on a pipe (no
// WebSocket, no npm package): for each job, open its URL in the same tab, wait until
// the page says it is ready (body[data-ready]), evaluate its expressions (a promise is
// awaited) and take its screenshot.
//   node cdp.js JOBS.json     JOBS: [{"url": U, "evals": [EXPR...], "shot": FILE}, ...]
// Prints one line of JSON per job, the values of its expressions as an array; exit 1
// with a message on failure.  The browser resolves no host but 127.0.0.1, so a page
// cannot load anything from outside.
'use strict';
const {spawn} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const jobs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const size = [1400, 1000];
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-chromium-'));
const chrome = spawn(process.env.CHROMIUM || 'chromium', [
  '--headless', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1', '--no-first-run',
  '--user-data-dir=' + profile, 'about:blank'], {stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe']});
const toChrome = chrome.stdio[3], fromChrome = chrome.stdio[4];
let nextId = 1, buf = '';
const waiting = new Map();
fromChrome.on('data', (d) => {
  buf += d.toString('utf8');
  let k;
  while ((k = buf.indexOf('\0')) >= 0) {
    const msg = JSON.parse(buf.slice(0, k));
    buf = buf.slice(k + 1);
    if (msg.id && waiting.has(msg.id)) {
      const {resolve, reject} = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.error) reject(new Error(JSON.stringify(msg.error)));
      else resolve(msg.result);
    }
  }
});
function send(method, params, sessionId) {
  const id = nextId++;
  toChrome.write(JSON.stringify({id, method, params: params || {}, sessionId}) + '\0');
  return new Promise((resolve, reject) => waiting.set(id, {resolve, reject}));
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function done(code, text) {
  if (text) (code ? process.stderr : process.stdout).write(text + '\n');
  const clean = () => {
    try { fs.rmSync(profile, {recursive: true, force: true}); } catch (e) { /* best effort */ }
    process.exit(code);
  };
  if (chrome.exitCode !== null || chrome.signalCode !== null) return clean();
  chrome.on('exit', clean);
  chrome.kill('SIGKILL');
}
setTimeout(() => done(1, 'cdp.js: timed out after 120 s'), 120000);

(async () => {
  const {targetId} = await send('Target.createTarget', {url: 'about:blank'});
  const {sessionId} = await send('Target.attachToTarget', {targetId, flatten: true});
  const s = (m, p) => send(m, p, sessionId);
  await s('Emulation.setDeviceMetricsOverride', {width: size[0], height: size[1], deviceScaleFactor: 1, mobile: false});
  await s('Page.enable');
  const value = async (expr) => {
    const r = await s('Runtime.evaluate', {expression: expr, returnByValue: true, awaitPromise: true});
    if (r.exceptionDetails) throw new Error(expr + ': ' + JSON.stringify(r.exceptionDetails));
    return r.result.value;
  };
  const lines = [];
  for (const job of jobs) {
    await value('window.__cdpOld = true'); /* gone once the next page has loaded */
    await s('Page.navigate', {url: job.url});
    let ready = false;
    for (let i = 0; i < 400 && !ready; i++) {
      await sleep(25);
      ready = await value('window.__cdpOld !== true && document.body !== null &&' +
        ' document.body.getAttribute("data-ready") === "1"');
    }
    if (!ready) throw new Error(job.url + ': the page did not get ready in 10 s');
    const out = [];
    for (const e of job.evals || []) out.push(await value(e));
    if (job.shot) {
      const {data} = await s('Page.captureScreenshot', {format: 'png'});
      fs.writeFileSync(job.shot, Buffer.from(data, 'base64'));
    }
    lines.push(JSON.stringify(out));
  }
  done(0, lines.join('\n'));
})().catch((e) => done(1, 'cdp.js: ' + e.message));
