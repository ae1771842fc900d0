#!/usr/bin/env node
/**
 * Command line: `presence-bridge [start] [--config FILE]` runs the daemon (default);
 * `presence-bridge check-config [FILE]` validates a configuration without starting (exit 0 valid, 1 invalid);
 * `presence-bridge healthcheck` asks the running daemon's /health/ready (for container health checks);
 * `--help` and `--version`. Without a FILE, every command finds the configuration the same way: --config,
 * $PB_CONFIG, config/default.yaml in the working directory, the built-in defaults.
 * SIGTERM and SIGINT stop gracefully within server.shutdownTimeoutMs; a second signal exits at once.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from './bridge/config/load.js';
import type { Config } from './bridge/config/schema.js';
import { statusReferenceWarnings } from './bridge/config/status-references.js';
import { applyHeapGrowth } from './bridge/heap-growth.js';
import { prettyDestination } from './bridge/log-pretty.js';
import { createLogger } from './bridge/logger.js';

const USAGE = `usage:
  presence-bridge [start] [--config FILE]      run the daemon
  presence-bridge check-config [FILE]          validate a configuration without starting (exit 0 valid, 1 invalid)
  presence-bridge healthcheck [--config FILE]  exit 0 when the running daemon answers /health/ready with 200
  presence-bridge --help | -h                  this text
  presence-bridge --version | -v               the version

The configuration is FILE, else --config FILE, else $PB_CONFIG, else config/default.yaml in the working
directory, else the built-in defaults. PB_* environment variables override it (see the README).`;

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function parseArgs(argv: string[]): { command: string; file: string | undefined } {
  const args = [...argv];
  if (args.some((a) => a === '--help' || a === '-h')) return { command: 'help', file: undefined };
  if (args.some((a) => a === '--version' || a === '-v')) return { command: 'version', file: undefined };
  let file: string | undefined;
  const configAt = args.findIndex((a) => a === '--config' || a === '-c');
  if (configAt !== -1) {
    file = args[configAt + 1];
    args.splice(configAt, 2);
  }
  const eq = args.findIndex((a) => a.startsWith('--config='));
  if (eq !== -1) file = args.splice(eq, 1)[0]?.slice('--config='.length);
  const command = args[0] ?? 'start';
  if (command === 'check-config' && args[1]) file = args[1];
  return { command, file };
}

/** Loads like the daemon does, or prints why not and returns null. */
function load(file: string | undefined): { config: Config; source: string } | null {
  try {
    return loadConfig({ path: file, env: process.env });
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    return null;
  }
}

function checkConfig(file: string | undefined): number {
  const loaded = load(file);
  if (!loaded) return 1;
  // What only the catalog in Redis can settle: warnings, not errors (the daemon checks them at start).
  const warnings = statusReferenceWarnings(loaded.config);
  for (const w of warnings) process.stderr.write(`warning: ${w.path}: ${w.message}\n`);
  const note = warnings.length > 0 ? ` (${warnings.length} warning${warnings.length > 1 ? 's' : ''})` : '';
  process.stdout.write(`configuration OK: ${loaded.source}${note}\n`);
  return 0;
}

/** GET /health/ready on the configured address: the container health check follows server.port of the file. */
async function healthcheck(file: string | undefined): Promise<number> {
  const loaded = load(file);
  if (!loaded) return 1;
  const { host, port } = loaded.config.server;
  const target = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${target.includes(':') ? `[${target}]` : target}:${port}/health/ready`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_500) });
    process.stdout.write(`${url}: ${res.status}\n`);
    return res.ok ? 0 : 1;
  } catch (err) {
    process.stdout.write(`${url}: ${(err as Error).message}\n`);
    return 1;
  }
}

/** JSON lines for machines; readable lines on a terminal (log.format auto) or when asked (pretty). */
function logDestination(format: Config['log']['format']) {
  const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  if (!pretty) return undefined;
  return prettyDestination(process.stdout, process.stdout.isTTY === true && !process.env.NO_COLOR);
}

async function start(file: string | undefined): Promise<void> {
  const loaded = load(file);
  if (!loaded) process.exit(1);
  const { config, source } = loaded;
  const log = createLogger(config.log.level, logDestination(config.log.format));
  log.info({ config: source, version: version() }, 'configuration loaded');
  // Before the daemon allocates anything: its V8 heap growth, unless NODE_OPTIONS or node's arguments chose one.
  log.info({ heap: applyHeapGrowth(process.env.NODE_OPTIONS, process.execArgv) }, 'heap growth');
  // Loaded only here: --help, check-config and the container health check stay quick without the daemon's modules.
  const [{ Daemon }, { RedisUnavailableError }] = await Promise.all([
    import('./bridge/daemon.js'),
    import('./bridge/redis/embedded.js'),
  ]);
  const daemon = new Daemon({ config, log, version: version() });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: exiting at once');
      process.exit(130);
    }
    log.info({ signal }, 'stopping');
    const force = setTimeout(() => {
      log.error({ timeoutMs: config.server.shutdownTimeoutMs }, 'graceful stop timed out; exiting');
      process.exit(1);
    }, config.server.shutdownTimeoutMs);
    force.unref();
    void daemon.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    await daemon.start();
  } catch (err) {
    const message =
      err instanceof RedisUnavailableError ? err.message : `cannot start: ${(err as Error).message}`;
    log.fatal({ err: err instanceof RedisUnavailableError ? undefined : err }, message);
    process.stderr.write(`presence-bridge: ${message}\n`);
    await daemon.stop();
    process.exit(1);
  }
}

const { command, file } = parseArgs(process.argv.slice(2));
if (command === 'help') process.stdout.write(`presence-bridge ${version()}\n${USAGE}\n`);
else if (command === 'version') process.stdout.write(`${version()}\n`);
else if (command === 'check-config') process.exit(checkConfig(file));
else if (command === 'healthcheck') void healthcheck(file).then((code) => process.exit(code));
else if (command === 'start') void start(file);
else {
  process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
  process.exit(1);
}
