/** Readers for the packaging files, so tests compare them with the code instead of with copied constants. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../../src/bridge/config/schema.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');

/** The configuration every deployment starts from when it sets nothing. */
export const DEFAULTS = configSchema.parse({});

/** Environment variables src/bridge/config/load.ts reads (`env.NAME`). */
export function understoodEnvVars(): Set<string> {
  const source = read('src/bridge/config/load.ts');
  return new Set([...source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1] as string));
}

export interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
export function dockerfileInstructions(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  return logical.map((line) => {
    const space = line.indexOf(' ');
    return { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
  });
}

/** `Key=Value` lines of a systemd unit (all sections; repeated keys keep every value). */
export function unitEntries(text: string): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    entries.set(key, [...(entries.get(key) ?? []), line.slice(eq + 1)]);
  }
  return entries;
}

/** systemd / compose durations like "15s", "1m30s", "15" (seconds) → seconds. */
export function seconds(duration: string): number {
  if (/^\d+$/.test(duration)) return Number(duration);
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const [, value, name] of duration.matchAll(/(\d+)\s*(ms|s|m|h)/g)) {
    total += Number(value) * (unit[name ?? ''] ?? Number.NaN);
  }
  return total;
}
