/**
 * The throughput baseline: a minimal fastify server whose status-change handler does exactly one EVALSHA of a
 * script that does what one status commit needs (read the user hash, compare the version, write 4 fields, XADD to
 * a capped stream, PUBLISH). No auth, no validation beyond JSON parsing, no outbox dispatch, no sync: the ceiling
 * of "HTTP in, one atomic Redis commit, JSON out" on this machine with these libraries.
 *
 * Run: node --import tsx bench/baseline/server.ts --port 8081 --redis redis://127.0.0.1:6379
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
};

const port = Number(arg('port') ?? 8081);
const redis = new Redis(arg('redis') ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
const lua = readFileSync(new URL('./commitStatus-2.lua', import.meta.url), 'utf8');
redis.defineCommand('commitStatus', { numberOfKeys: 2, lua }); // ioredis runs it with EVALSHA

type CommitStatus = (...args: Array<string | number>) => Promise<number>;
const commitStatus = (redis as unknown as { commitStatus: CommitStatus }).commitStatus.bind(redis);

const app = Fastify({ logger: false });

app.get('/ready', async () => ({ ok: redis.status === 'ready' }));

app.put<{ Params: { id: string }; Body: { statusId?: string } }>(
  '/v1/users/:id/status',
  async (req, reply) => {
    const id = req.params.id;
    const status = req.body?.statusId ?? 'active';
    const result = await commitStatus(
      `bl:{u}:user:${id}`,
      'bl:{u}:events',
      (req.headers['if-match'] as string | undefined) ?? '',
      status,
      new Date().toISOString(),
      'integration',
      100_000,
      'bl:events-wakeup',
      id,
    );
    if (result === -2) return reply.code(404).send({ error: { code: 'USER_NOT_FOUND' } });
    if (result === -1) return reply.code(409).send({ error: { code: 'VERSION_CONFLICT' } });
    return { applied: true, user: { id, status: { id: status }, version: result } };
  },
);

const stop = async (): Promise<void> => {
  await app.close();
  redis.disconnect();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

await redis.connect();
await app.listen({ host: '127.0.0.1', port });
