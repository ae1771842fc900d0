#!/usr/bin/env node
/**
 * Command line: `presence-bridge [start] [--config FILE]` runs the daemon (default);
 * `presence-bridge check-config FILE` validates a configuration without starting (exit 0 valid, 1 invalid).
 * SIGTERM and SIGINT stop gracefully within server.shutdownTimeoutMs; a second signal exits at once.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from './bridge/config/load.js';
import { Daemon } from './bridge/daemon.js';
import { createLogger } from './bridge/logger.js';
import { RedisUnavailableError } from './bridge/redis/embedded.js';

const USAGE = `usage:
  presence-bridge [start] [--config FILE]   run the daemon (config: --config, $PB_CONFIG or config/default.yaml)
  presence-bridge check-config FILE         validate a configuration file without starting`;

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

function checkConfig(file: string | undefined): number {
  if (!file) {
    process.stderr.write(`check-config needs a FILE\n${USAGE}\n`);
    return 1;
  }
  try {
    loadConfig({ path: file, env: process.env });
    process.stdout.write(`configuration OK: ${file}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    return 1;
  }
}

async function start(file: string | undefined): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig({ path: file, env: process.env });
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(1);
  }
  const { config, source } = loaded;
  const log = createLogger(config.log.level);
  log.info({ config: source }, 'configuration loaded');
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
if (command === 'check-config') process.exit(checkConfig(file));
else if (command === 'start') void start(file);
else {
  process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
  process.exit(1);
}
