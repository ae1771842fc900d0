/**
 * The annotated examples in config/examples are what admins copy: they must validate with the CLI once their
 * variables are set, fail naming each variable otherwise, show every field of the schema for their PBX kind,
 * and comment each value.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isPair, isScalar, parse, parseDocument, visit } from 'yaml';
import { loadConfig } from '../../src/bridge/config/load.js';
import { killAll, REPO_ROOT, requireBuild, runCli } from '../daemon/cli-process.js';
import { documentPaths, schemaFields } from './schema-fields.js';

const EXAMPLES = [
  { file: 'config/examples/freepbx.yaml', kind: 'freepbx' },
  { file: 'config/examples/3cx.yaml', kind: '3cx' },
] as const;

const textOf = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');

/** Variables the values reference without a default, e.g. "${PB_AMI_SECRET}" (comments do not count). */
function requiredVariables(value: unknown, found = new Set<string>()): string[] {
  if (typeof value === 'string') {
    for (const match of value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) found.add(match[1] as string);
  } else if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) requiredVariables(child, found);
  }
  return [...found].sort();
}

/** A distinct, long-enough value for each variable. */
const envFor = (names: string[]) =>
  Object.fromEntries(names.map((name, i) => [name, `example-secret-${i}-${name}`.toLowerCase()]));

beforeAll(() => {
  requireBuild();
});
afterEach(killAll);

describe.each(EXAMPLES)('$file', ({ file, kind }) => {
  const text = textOf(file);
  const variables = requiredVariables(parse(text));

  it('keeps its secrets in environment variables', () => {
    expect(variables.length).toBeGreaterThan(0);
    const doc = parse(text) as {
      auth: { keys: Array<{ key: string }> };
      pbx: Array<Record<string, unknown>>;
    };
    for (const key of doc.auth.keys) expect(key.key).toMatch(/^\$\{[A-Z0-9_]+\}$/);
    const pbx = doc.pbx[0] ?? {};
    const secret = kind === 'freepbx' ? (pbx.ami as { secret: string }).secret : pbx.clientSecret;
    expect(secret).toMatch(/^\$\{[A-Z0-9_]+\}$/);
  });

  it('has an admin key from PB_ADMIN_KEY, so whoever installs it can create status types', () => {
    const doc = parse(text) as { auth: { keys: Array<{ role: string; key: string }> } };
    expect(doc.auth.keys.filter((k) => k.role === 'admin').map((k) => k.key)).toEqual(['${PB_ADMIN_KEY}']);
  });

  it('leaves ha.nodeName unset: a file shared by several daemons must not give them one name', () => {
    const doc = parse(text) as { ha?: Record<string, unknown> };
    expect(doc.ha && 'nodeName' in doc.ha).toBe(false);
  });

  it('passes check-config when its variables are set', async () => {
    const result = await runCli(['check-config', file], { env: envFor(variables) });
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ code: 0, stdout: `configuration OK: ${file}\n` });
  });

  it('fails check-config naming each missing variable, and nothing else', async () => {
    const result = await runCli(['check-config', file]);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe(`invalid configuration in ${file}:`);
    const named = lines.slice(1).map((line) => /environment variable (\S+) is not set$/.exec(line)?.[1]);
    expect(named.sort()).toEqual(variables);
  });

  it(`configures one ${kind} connection with the variables' values`, () => {
    const env = envFor(variables);
    const { config } = loadConfig({ path: join(REPO_ROOT, file), env });
    expect(config.pbx).toHaveLength(1);
    expect(config.pbx[0]?.kind).toBe(kind);
    expect(config.auth.keys.map((k) => k.key).sort()).toEqual(
      variables
        .filter((v) => text.includes(`key: "\${${v}}"`))
        .map((v) => env[v])
        .sort(),
    );
  });

  it(`shows every field of the schema for ${kind} (optional ones may be commented out)`, () => {
    const present = documentPaths(parse(text));
    const missing = schemaFields()
      .filter((f) => f.kind === undefined || f.kind === kind)
      .map((f) => f.path)
      .filter((path) => !present.has(path))
      .filter((path) => !new RegExp(`^\\s*# ${path.split('.').at(-1) ?? ''}:`, 'm').test(text));
    expect(missing).toEqual([]);
  });

  it('shows the schema default as the value of every field that has one', () => {
    const doc: unknown = parse(text);
    const valueAt = (path: string): unknown =>
      path
        .replaceAll('[]', '.0')
        .split('.')
        .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], doc);
    const differing = schemaFields()
      .filter((f) => (f.kind === undefined || f.kind === kind) && f.default !== undefined)
      .filter((f) => typeof f.default !== 'object') // maps such as presenceMap show examples instead
      // Fields of an optional list the example leaves commented out (statusTypes) have no value to compare.
      .filter(
        (f) => !f.path.includes('[]') || valueAt(f.path.slice(0, f.path.lastIndexOf('[]') + 2)) !== undefined,
      )
      .filter((f) => valueAt(f.path) !== f.default)
      .map((f) => `${f.path}: ${JSON.stringify(valueAt(f.path))} (default ${JSON.stringify(f.default)})`);
    expect(differing).toEqual([]);
  });

  it('comments every value (what it does and its default)', () => {
    const uncommented: string[] = [];
    visit(parseDocument(text), {
      Pair(_key, pair) {
        if (!isPair(pair) || !isScalar(pair.key) || !isScalar(pair.value)) return;
        if (!pair.value.comment?.trim() && !pair.key.commentBefore?.trim())
          uncommented.push(String(pair.key.value));
      },
    });
    expect(uncommented).toEqual([]);
  });
});
