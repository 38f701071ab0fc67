// cdp.js -- drive headless chromium over the DevTools protocol on a pipe (no
// WebSocket, no npm package): open a URL, wait until the page says it is ready
// (body[data-ready]), then evaluate expressions and take a screenshot.
//   node cdp.js URL [--eval EXPR]... [--screenshot FILE] [--size WxH]
// Prints {"evals": [values...]} on stdout; exit 1 with a message on failure.
// The browser resolves no host but 127.0.0.1, so the page cannot load from outside.
'use strict';
const {spawn} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const args = process.argv.slice(2);
const url = args[0];
const evals = [];
let shot = null, size = [1400, 1000];
for (let i = 1; i < args.length; i++) {
  if (args[i] === '--eval') evals.push(args[++i]);
  else if (args[i] === '--screenshot') shot = args[++i];
  else if (args[i] === '--size') size = args[++i].split('x').map(Number);
}
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
setTimeout(() => done(1, 'cdp.js: timed out after 60 s'), 60000);

(async () => {
  const {targetId} = await send('Target.createTarget', {url: 'about:blank'});
  const {sessionId} = await send('Target.attachToTarget', {targetId, flatten: true});
  const s = (m, p) => send(m, p, sessionId);
  await s('Emulation.setDeviceMetricsOverride', {width: size[0], height: size[1], deviceScaleFactor: 1, mobile: false});
  await s('Page.enable');
  await s('Page.navigate', {url});
  const value = async (expr) => {
    const r = await s('Runtime.evaluate', {expression: expr, returnByValue: true});
    if (r.exceptionDetails) throw new Error(expr + ': ' + r.exceptionDetails.text);
    return r.result.value;
  };
  for (let i = 0; i < 300; i++) {
    if (await value('document.body && document.body.getAttribute("data-ready") === "1"')) break;
    await sleep(50);
  }
  const out = [];
  for (const e of evals) out.push(await value(e));
  if (shot) {
    const {data} = await s('Page.captureScreenshot', {format: 'png'});
    fs.writeFileSync(shot, Buffer.from(data, 'base64'));
  }
  done(0, JSON.stringify({evals: out}));
})().catch((e) => done(1, 'cdp.js: ' + e.message));
