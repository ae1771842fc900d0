#!/usr/bin/env node
/**
 * Summarises V8 .cpuprofile files (node --cpu-prof): self time by file, self time by function and inclusive time by
 * function (a function counted once per sample even when recursive). Usage:
 *   node bench/tools/profile-summary.mjs <file.cpuprofile> [...more] [--top=30] [--filter=substring-of-url]
 * Several files are summed. Times are in ms of samples.
 */
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const top = Number(args.find((a) => a.startsWith('--top='))?.slice(6) ?? 30);
const files = args.filter((a) => !a.startsWith('--'));
/** --callers=<function name>: the stacks (up to --depth frames, default 8) that lead to that function, by self time. */
const callersOf = args.find((a) => a.startsWith('--callers='))?.slice(10);
const depth = Number(args.find((a) => a.startsWith('--depth='))?.slice(8) ?? 8);
const callers = new Map();
/** --from=<s> --to=<s>: only samples in that window (seconds since the profile's start); --timeline: busy ms/s. */
const from = Number(args.find((a) => a.startsWith('--from='))?.slice(7) ?? 0) * 1e6;
const to = Number(args.find((a) => a.startsWith('--to='))?.slice(5) ?? Infinity) * 1e6;
const timeline = args.includes('--timeline');
const busyPerSecond = [];
const short = (url) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, 'nm/')
    .replace(/.*\/dist\//, 'dist/')
    .replace(/^node:/, 'node:') || '(native)';

const selfFile = new Map();
const selfFn = new Map();
const incl = new Map();
let total = 0;
const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);

for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const dt = new Map();
  const idle = new Set(
    p.nodes.filter((n) => ['(idle)', '(program)'].includes(n.callFrame.functionName)).map((n) => n.id),
  );
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const d = p.timeDeltas[i] ?? 0;
    t += d;
    if (!idle.has(p.samples[i]))
      busyPerSecond[Math.floor(t / 1e6)] = (busyPerSecond[Math.floor(t / 1e6)] ?? 0) + d / 1000;
    if (t < from || t > to) continue;
    add(dt, p.samples[i], d / 1000);
  }
  for (const [id, ms] of dt) {
    const n = byId.get(id);
    const cf = n.callFrame;
    if (cf.functionName === '(idle)' || cf.functionName === '(program)') {
      add(selfFn, cf.functionName, ms);
      continue;
    }
    total += ms;
    add(selfFile, short(cf.url) || cf.functionName, ms);
    const fn = `${cf.functionName || '(anon)'} ${short(cf.url)}:${cf.lineNumber + 1}`;
    add(selfFn, fn, ms);
    if (callersOf) {
      const chain = [];
      let found = false;
      for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
        const c = byId.get(cur).callFrame;
        if (!found && c.functionName === callersOf) found = true;
        if (found) chain.push(`${c.functionName || '(anon)'} ${short(c.url)}:${c.lineNumber + 1}`);
        if (chain.length >= depth) break;
      }
      if (found) add(callers, chain.join('\n              < '), ms);
    }
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const c = byId.get(cur).callFrame;
      const k = `${c.functionName || '(anon)'} ${short(c.url)}:${c.lineNumber + 1}`;
      if (seen.has(k)) continue;
      seen.add(k);
      add(incl, k, ms);
    }
  }
}
const print = (title, m) => {
  console.log(`\n== ${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${v.toFixed(1).padStart(9)} ms ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
};
if (timeline) console.log(busyPerSecond.map((v, i) => `${i}s:${(v ?? 0).toFixed(0)}`).join(' '));
console.log(`busy (non-idle) samples: ${total.toFixed(0)} ms`);
print('self by file', selfFile);
print('self by function', selfFn);
print('inclusive by function', incl);
if (callersOf) print(`stacks into ${callersOf}`, callers);
