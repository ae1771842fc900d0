/**
 * README.md is the front door and must not drift from the code: the configuration reference lists every field
 * of the schema with its real default, every environment variable the loader reads, and the error table is the
 * catalogue of src/bridge/errors.ts. The quick-start commands, the sections others fill in, and the CI script
 * running the README's test command are checked too.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/bridge/errors.js';
import { schemaFields } from '../config/schema-fields.js';
import { read, REPO_ROOT, understoodEnvVars } from './packaging.js';

const readme = read('README.md');

/** `| `first cell` | second | …` rows of every table, keyed by the first cell's code text. */
function tableRows(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of readme.split('\n')) {
    const match = /^\| `([^`]+)` \|(.*)\|$/.exec(line.trim());
    if (match)
      rows.set(
        match[1] as string,
        (match[2] as string).split(' | ').map((c) => c.trim()),
      );
  }
  return rows;
}

/** How the README writes a default: `8080`, `pb:`, `{}`; "required" or "—" when there is none. */
const rendered = (value: unknown) =>
  `\`${typeof value === 'object' ? JSON.stringify(value) : String(value)}\``;

/** Commands in ```sh blocks. */
function shellCommands(): string[] {
  return [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => (m[1] as string).trim().split('\n'));
}

describe('README.md', () => {
  it('has the quick-start commands: one to install and run, one to install and test', () => {
    const commands = shellCommands();
    expect(commands).toContain('npm ci && npm start');
    expect(commands).toContain('npm ci && npm test');
    expect(readme).toContain('sudo apt-get install redis-server');
    expect(readme).toContain('data/admin.key');
    expect(commands).toContain(
      'curl -H "Authorization: Bearer $(cat data/admin.key)" http://127.0.0.1:8080/v1/status-types',
    );
  });

  it('keeps the sections others fill in', () => {
    const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(
      expect.arrayContaining([
        'Quick start',
        'Configuration',
        'API overview',
        'Deployment',
        'Troubleshooting',
        'PBX: FreePBX / Asterisk',
        'PBX: 3CX',
        'Performance',
        'Running more than one',
      ]),
    );
  });

  it('documents every configuration field with its default', () => {
    const rows = tableRows();
    const problems: string[] = [];
    for (const field of schemaFields()) {
      const row = rows.get(field.path);
      if (!row) problems.push(`${field.path}: no row`);
      else if (
        field.default === undefined
          ? !/^(required|—)$/.test(row[0] ?? '')
          : row[0] !== rendered(field.default)
      )
        problems.push(`${field.path}: default cell ${row[0]}, schema ${rendered(field.default)}`);
    }
    expect(problems).toEqual([]);
  });

  it('documents every environment variable the loader reads', () => {
    const rows = tableRows();
    expect([...understoodEnvVars()].filter((name) => !rows.has(name))).toEqual([]);
  });

  it('lists exactly the error catalogue, each code with its HTTP status', () => {
    const rows = tableRows();
    const catalogue = Object.entries(ERROR_CATALOGUE).map(([code, { status }]) => `${code} ${status}`);
    const documented = [...rows]
      .filter(([code, cells]) => /^[A-Z][A-Z_]+$/.test(code) && /^\d{3}$/.test(cells[0] ?? ''))
      .map(([code, cells]) => `${code} ${cells[0]}`);
    expect(documented.sort()).toEqual(catalogue.sort());
  });

  it('links the served API documentation', () => {
    expect(readme).toContain('`/docs`');
    expect(readme).toContain('`/docs/json`');
  });
});

describe('.ci/run', () => {
  const script = read('.ci/run');
  const commands = script
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('is an executable bash script that stops at the first failure', () => {
    expect(statSync(join(REPO_ROOT, '.ci/run')).mode & 0o111).not.toBe(0);
    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(commands).toContain('set -euo pipefail');
  });

  it('installs redis-server only when missing, then runs npm ci, lint, typecheck and the README test command', () => {
    expect(script).toMatch(
      /if ! command -v redis-server[^\n]*; then\n[\s\S]*apt-get update[\s\S]*apt-get install[^\n]*redis-server[\s\S]*?\nfi\n/,
    );
    const npm = commands.filter((c) => c.startsWith('npm '));
    expect(npm).toEqual(['npm ci', 'npm run lint', 'npm run typecheck', 'npm test']);
    expect(shellCommands()).toContain(`npm ci && ${npm.at(-1)}`);
  });
});
