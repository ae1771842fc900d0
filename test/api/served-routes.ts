/**
 * The routes a Fastify app serves, read from its own router (`printRoutes()`), as "METHOD /path" strings with
 * Fastify's `:param` syntax. HEAD is left out: Fastify adds it to every GET route by itself.
 *
 * printRoutes draws a tree whose children carry only their own segment ("├── /:id (GET)"), so each line's path
 * is its parent's path plus the segment; depth is the column of the "── " marker divided by 4.
 */
import type { FastifyInstance } from 'fastify';

export function servedRoutes(app: FastifyInstance): Set<string> {
  const served = new Set<string>();
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const marker = line.indexOf('── ');
    if (marker < 0) continue;
    const depth = Math.floor(marker / 4);
    const match = /^(\S+)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(marker + 3).trim());
    if (!match) continue;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + match[1]!;
    stack[depth] = path;
    for (const method of match[2]?.split(', ') ?? []) if (method !== 'HEAD') served.add(`${method} ${path}`);
  }
  return served;
}
