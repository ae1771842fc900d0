/**
 * Loading the configuration: YAML file → ${ENV} interpolation → environment overrides → zod validation →
 * deep freeze. Every problem is collected and reported together, each with its path, so an admin fixes a
 * file in one pass. This is the only module that reads process.env (it receives it as an argument).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYamlScalar, parseDocument, Scalar, visit } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ConfigProblem {
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `invalid configuration in ${source}:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_PLACEHOLDER = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

/**
 * An unquoted YAML value that is exactly one placeholder (`port: ${AMI_PORT:-5038}`). After substitution it is
 * typed the way YAML would type the text (number, boolean), so numeric and boolean fields can come from the
 * environment. A quoted placeholder (`secret: "${AMI_SECRET}"`) always stays a string.
 */
class PlainPlaceholder {
  constructor(readonly text: string) {}
}

function substitute(text: string, env: Env, problems: ConfigProblem[], path: string): string {
  return text.replace(PLACEHOLDER, (_match, name: string, fallback: string | undefined) => {
    const found = env[name];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    problems.push({ path: path || '(root)', message: `environment variable ${name} is not set` });
    // Unique stand-in, so two unset secrets do not also show up as "two keys have the same secret".
    return `<unset ${name} #${problems.length}>`;
  });
}

/** "5038" → 5038, "true" → true (YAML 1.2 core rules); anything else stays the string it is. */
function typedScalar(text: string): unknown {
  try {
    const value: unknown = parseYamlScalar(text);
    return typeof value === 'number' || typeof value === 'boolean' ? value : text;
  } catch {
    return text;
  }
}

/** Replaces ${NAME} and ${NAME:-default} in every string value; an unset NAME without default is a problem. */
export function interpolate(value: unknown, env: Env, problems: ConfigProblem[], path = ''): unknown {
  if (typeof value === 'string') return substitute(value, env, problems, path);
  if (value instanceof PlainPlaceholder) return typedScalar(substitute(value.text, env, problems, path));
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, problems, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, env, problems, path ? `${path}.${k}` : k)]),
    );
  }
  return value;
}

type Raw = Record<string, unknown>;

function section(raw: Raw, name: string): Raw {
  const current = raw[name];
  if (current !== null && typeof current === 'object' && !Array.isArray(current)) return current as Raw;
  const created: Raw = {};
  raw[name] = created;
  return created;
}

/**
 * Environment overrides for what a container or systemd unit usually sets. They win over the file.
 * PB_ADMIN_KEY adds an admin key named "env-admin" (unless the file already has an admin key with that secret). `origins`, when given, records which variable set which
 * path, so a bad value is reported with the variable to fix rather than a file line that does not exist.
 */
export function applyEnvOverrides(raw: Raw, env: Env, origins?: Map<string, string>): Raw {
  const set = (sectionName: string, key: string, name: string, value: unknown) => {
    if (value === undefined || value === '') return;
    section(raw, sectionName)[key] = value;
    origins?.set(`${sectionName}.${key}`, name);
  };
  const asNumber = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
  set('server', 'host', 'PB_SERVER_HOST', env.PB_SERVER_HOST);
  // `||`, not `??`: an empty PB_SERVER_PORT (compose's `${X:-}`) must not hide PORT.
  const portVar = env.PB_SERVER_PORT ? 'PB_SERVER_PORT' : 'PORT';
  set('server', 'port', portVar, asNumber(env.PB_SERVER_PORT || env.PORT));
  set('redis', 'url', 'PB_REDIS_URL', env.PB_REDIS_URL);
  set('redis', 'keyPrefix', 'PB_REDIS_KEY_PREFIX', env.PB_REDIS_KEY_PREFIX);
  set('redis', 'embedded', 'PB_REDIS_EMBEDDED', env.PB_REDIS_EMBEDDED);
  set('redis', 'embeddedDir', 'PB_REDIS_EMBEDDED_DIR', env.PB_REDIS_EMBEDDED_DIR);
  set('log', 'level', 'PB_LOG_LEVEL', env.PB_LOG_LEVEL);
  set('log', 'format', 'PB_LOG_FORMAT', env.PB_LOG_FORMAT);
  const adminKey = env.PB_ADMIN_KEY;
  if (adminKey) {
    const auth = section(raw, 'auth');
    const keys = Array.isArray(auth.keys) ? (auth.keys as unknown[]) : [];
    // The examples list `{role: admin, key: "${PB_ADMIN_KEY}"}` themselves: that is the same admin, not a second.
    if (!keys.some((k) => isAdminKey(k, adminKey))) {
      auth.keys = [...keys, { name: 'env-admin', role: 'admin', key: adminKey }];
      origins?.set(`auth.keys[${keys.length}]`, 'PB_ADMIN_KEY');
    }
  }
  return raw;
}

function isAdminKey(entry: unknown, secret: string): boolean {
  if (entry === null || typeof entry !== 'object') return false;
  const { role, key } = entry as Raw;
  return role === 'admin' && key === secret;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function parseYaml(text: string, source: string): Raw {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({
        path: `line ${e.linePos?.[0]?.line ?? '?'}`,
        // prettyErrors ends the first line with ": " before a code frame we leave out: no dangling colon.
        message: (e.message.split('\n')[0] ?? '').replace(/:\s*$/, ''),
      })),
    );
  }
  // Mark unquoted whole-placeholder values (never map keys) so interpolation can type them; see PlainPlaceholder.
  visit(doc, {
    Scalar(key, node) {
      if (key !== 'key' && node.type === Scalar.PLAIN && typeof node.value === 'string') {
        if (WHOLE_PLACEHOLDER.test(node.value)) node.value = new PlainPlaceholder(node.value);
      }
    },
  });
  const value: unknown = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(source, [{ path: '(root)', message: 'must be a mapping of sections' }]);
  }
  return value as Raw;
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    return acc ? `${acc}.${String(part)}` : String(part);
  }, '');
}

/** zod's "expected X, received undefined" says less than this. */
const requiredMessage: z.core.$ZodErrorMap = (issue) =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined;

/** One problem per bad field: zod reports unknown keys on their parent, we name each key. */
function problemsOf(issue: z.core.$ZodIssue): ConfigProblem[] {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: path ? `${path}.${key}` : key, message: 'unknown field' }));
  }
  return [{ path: path || '(root)', message: issue.message }];
}

function originOf(path: string, origins: Map<string, string>): string | undefined {
  for (const [prefix, name] of origins) {
    if (path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)) return name;
  }
  return undefined;
}

/** Validates an already-parsed document (after interpolation). */
export function validateConfig(raw: unknown, source: string, env: Env = {}): Config {
  const problems: ConfigProblem[] = [];
  const interpolated = interpolate(raw, env, problems) as Raw;
  // A field whose variable is unset is reported once, as that; the empty value left behind is no news.
  const unset = new Set(problems.map((p) => p.path));
  const origins = new Map<string, string>();
  const withEnv = applyEnvOverrides(interpolated, env, origins);
  const result = configSchema.safeParse(withEnv, { error: requiredMessage });
  for (const issue of result.success ? [] : result.error.issues) {
    for (const problem of problemsOf(issue)) {
      if (unset.has(problem.path)) continue;
      const origin = originOf(problem.path, origins);
      problems.push(origin ? { ...problem, message: `${problem.message} (set by ${origin})` } : problem);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(source, problems);
  return deepFreeze(result.data);
}

export interface LoadOptions {
  /** Explicit path (--config or PB_CONFIG); when absent, `defaultPath` is used if it exists. */
  path?: string | undefined;
  defaultPath?: string;
  env: Env;
}

/** Loads, interpolates, overrides and validates. Throws ConfigError naming every bad field. */
export function loadConfig({ path, defaultPath = 'config/default.yaml', env }: LoadOptions): {
  config: Config;
  source: string;
} {
  const chosen = path ?? env.PB_CONFIG ?? (existsSync(defaultPath) ? defaultPath : undefined);
  if (chosen === undefined)
    return { config: validateConfig({}, '(built-in defaults)', env), source: '(built-in defaults)' };
  let text: string;
  try {
    text = readFileSync(chosen, 'utf8');
  } catch (err) {
    throw new ConfigError(chosen, [
      { path: '(file)', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` },
    ]);
  }
  return { config: validateConfig(parseYaml(text, chosen), chosen, env), source: chosen };
}
