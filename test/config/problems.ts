/** Helpers for config tests: run a loader call and return what it reported, or fail if it accepted. */
import { ConfigError, validateConfig, type ConfigProblem, type Env } from '../../src/bridge/config/load.js';

export function errorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError, but the configuration was accepted');
}

/** The problems validateConfig reports for a raw document (as if parsed from a file). */
export function problemsFor(raw: unknown, env: Env = {}): ConfigProblem[] {
  return errorOf(() => validateConfig(raw, 'test.yaml', env)).problems;
}

/** A valid key secret of the minimum length, distinct per `n`. */
export const secret = (n: number | string): string => `secret-${n}`.padEnd(16, '0');
