/**
 * First-run convenience: with no key configured at all, the API would be unusable, so the daemon generates one
 * admin key and keeps it in a file readable only by its owner. The key itself is never logged; the log line says
 * where it is.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ApiKeyConfig } from './config/schema.js';

export function ensureGeneratedAdminKey(file: string): { key: ApiKeyConfig; created: boolean; path: string } {
  const path = resolve(file);
  if (existsSync(path)) {
    return {
      key: { name: 'generated-admin', role: 'admin', key: readFileSync(path, 'utf8').trim() },
      created: false,
      path,
    };
  }
  mkdirSync(dirname(path), { recursive: true });
  const secret = randomBytes(24).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return { key: { name: 'generated-admin', role: 'admin', key: secret }, created: true, path };
}
