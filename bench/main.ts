/**
 * The benchmark runner (`npm run bench [-- --quick] [-- --only throughput,deferred,burst,scale,multi,webhooks]`).
 * Each benchmark starts its own redis-server, the built daemon as a child process and, where it compares, its
 * baseline; loads come from this process. Prints one table and writes bench/results/latest.json.
 * `--cpu-prof` makes the daemon children write V8 CPU profiles into the run's work directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { burst } from './scenarios/burst.js';
import { deferred } from './scenarios/deferred.js';
import { multi } from './scenarios/multi.js';
import { scale } from './scenarios/scale.js';
import { throughput } from './scenarios/throughput.js';
import { webhooks } from './scenarios/webhooks.js';
import { cleanupAll, installSignalHandlers } from './lib/cleanup.js';
import type { BenchContext, BenchResult, Row } from './lib/context.js';
import { ROOT } from './lib/procs.js';

const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<BenchResult>> = {
  throughput,
  deferred,
  burst,
  scale,
  multi,
  webhooks,
};

function parseArgs(argv: string[]): {
  quick: boolean;
  only: string[];
  cpuProf: boolean;
  nodeArgs: string[];
} {
  const onlyArg = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const only = onlyArg ? onlyArg.split(',') : Object.keys(SCENARIOS);
  for (const name of only)
    if (!SCENARIOS[name])
      throw new Error(`unknown benchmark "${name}"; known: ${Object.keys(SCENARIOS).join(', ')}`);
  // `--node-arg=--max-semi-space-size=64` (repeatable): node flags for the daemon children, to compare settings.
  const nodeArgs = argv.filter((a) => a.startsWith('--node-arg=')).map((a) => a.slice('--node-arg='.length));
  return { quick: argv.includes('--quick'), only, cpuProf: argv.includes('--cpu-prof'), nodeArgs };
}

interface Machine {
  date: string;
  nproc: string;
  cpu: string;
  memory: string;
  free: string;
  node: string;
  redis: string;
}

function machine(): Machine {
  const sh = (cmd: string, args: string[]): string => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  return {
    date: new Date().toISOString(),
    nproc: sh('nproc', []),
    cpu: cpus()[0]?.model ?? '?',
    memory: `${sh('free', ['-h']).split('\n')[1]?.split(/\s+/)[1] ?? `${Math.round(totalmem() / 2 ** 30)}Gi`} RAM`,
    free: sh('free', ['-h']),
    node: process.version,
    redis: /v=(\S+)/.exec(sh('redis-server', ['--version']))?.[1] ?? '?',
  };
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - text.length));
}

/** A Markdown table (it also reads well in a terminal). */
export function table(rows: Row[]): string {
  const header = ['Benchmark', 'Metric', 'presence-bridge', 'Baseline', 'Ratio', 'Goal', 'Met'];
  const body = rows.map((r) => [
    r.bench,
    r.metric,
    r.value,
    r.baseline ?? '',
    r.ratio ?? '',
    r.goal ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => pad(c, widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  installSignalHandlers();
  const args = parseArgs(process.argv.slice(2));
  const workDir = mkdtempSync(join(tmpdir(), 'pb-bench-'));
  const ctx: BenchContext = {
    quick: args.quick,
    workDir,
    daemonNodeArgs: [
      ...args.nodeArgs,
      ...(args.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${join(workDir, 'profiles')}`] : []),
    ],
    log: (message) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`),
  };
  const info = machine();
  ctx.log(
    `presence-bridge benchmarks${args.quick ? ' (quick)' : ''}: ${args.only.join(', ')}; logs in ${workDir}`,
  );
  const started = Date.now();
  const results: BenchResult[] = [];
  const failures: Array<{ name: string; error: string }> = [];
  // The 1-minute load average before and after each benchmark: on a shared machine it tells how much else ran.
  const loads: Record<string, [number, number]> = {};
  for (const name of args.only) {
    const scenario = SCENARIOS[name];
    if (!scenario) continue;
    const t0 = Date.now();
    const loadBefore = loadavg()[0] ?? 0;
    try {
      results.push(await scenario(ctx));
    } catch (err) {
      failures.push({ name, error: (err as Error).stack ?? String(err) });
      ctx.log(`${name} FAILED: ${(err as Error).message}`);
    } finally {
      await cleanupAll();
    }
    loads[name] = [loadBefore, loadavg()[0] ?? 0];
    ctx.log(
      `${name} took ${Math.round((Date.now() - t0) / 1000)} s (load average ${loads[name].map((l) => l.toFixed(1)).join(' → ')})`,
    );
  }
  const rows = results.flatMap((r) => r.rows);
  const text = table(rows);
  const maxLoad = Math.max(...Object.values(loads).flat());
  const header =
    `Measured ${info.date.slice(0, 10)} on ${info.nproc} cores (${info.cpu}), ${info.memory}, Node ${info.node}, ` +
    `Redis ${info.redis}; 1-min load average up to ${maxLoad.toFixed(1)}${args.quick ? ' — QUICK sizes' : ''}`;
  console.log(`\n${header}\n\n${text}\n`);
  for (const f of failures) console.log(`FAILED ${f.name}:\n${f.error}\n`);
  const out = join(ROOT, 'bench', 'results', 'latest.json');
  writeFileSync(
    out,
    JSON.stringify(
      {
        machine: info,
        quick: args.quick,
        totalSeconds: Math.round((Date.now() - started) / 1000),
        loadAverage: loads,
        header,
        table: text,
        rows,
        results,
        failures,
        workDir,
      },
      null,
      2,
    ),
  );
  console.log(`results: ${out} (total ${Math.round((Date.now() - started) / 1000)} s)`);
  if (failures.length > 0) process.exitCode = 1;
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
