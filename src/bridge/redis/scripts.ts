/**
 * Lua script loader. Each `verbNoun-<numKeys>.lua` file in ./lua becomes an ioredis command named
 * `<verbNoun>V<SCRIPT_VERSION>` (a versioned name, so a daemon running older scripts never calls newer ones by
 * mistake during a rolling upgrade). ioredis runs it with EVALSHA and falls back to EVAL after a Redis restart
 * flushed the script cache.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

/**
 * 2: commitUser and deleteUser also keep the missed-offer log (one more key each).
 * 3: commitUser, recordSync and deleteUser keep the user's sync state and the pending/failed sync sets (issue 17).
 * 4: commitUser, recordSync and appendIndexedEvent also write the per-user / catalog event indexes (deleteUser
 *    removes the user's; issue 13).
 * 5: commitUser refuses a status type marked gone by closeStatusType (two more keys; issue 13, delete race).
 * 6: commitUser schedules the change's timers in the partition's timer set (one more key, no more timer.requested
 *    entries); claimTimers and finishTimer run that set (issue 15).
 */
export const SCRIPT_VERSION = 6;

const LUA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'lua');
const FILE_NAME = /^([a-zA-Z]+)-(\d+)\.lua$/;

interface ScriptDef {
  name: string;
  numberOfKeys: number;
  lua: string;
}

let cached: ScriptDef[] | undefined;

function scripts(): ScriptDef[] {
  cached ??= readdirSync(LUA_DIR).flatMap((file) => {
    const match = FILE_NAME.exec(file);
    if (!match) return [];
    return [
      {
        name: `${match[1]}V${SCRIPT_VERSION}`,
        numberOfKeys: Number(match[2]),
        lua: readFileSync(join(LUA_DIR, file), 'utf8'),
      },
    ];
  });
  return cached;
}

export function defineScripts(client: Redis): void {
  for (const script of scripts()) {
    client.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
  }
}

/** Calls a defined script by its base name (e.g. "createStatusType") with keys then args. */
export async function runScript(
  client: Redis,
  baseName: string,
  keys: string[],
  args: Array<string | number>,
): Promise<unknown> {
  const name = `${baseName}V${SCRIPT_VERSION}`;
  const command = (client as unknown as Record<string, unknown>)[name];
  if (typeof command !== 'function') throw new Error(`script ${name} is not defined on this client`);
  return (command as (...a: unknown[]) => Promise<unknown>).call(client, ...keys, ...args);
}
