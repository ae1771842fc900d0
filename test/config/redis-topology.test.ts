/**
 * `redis.cluster` and `redis.sentinel`: each is accepted on its own, they exclude each other, and a malformed
 * node or sentinel address is refused naming the field.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/bridge/config/load.js';
import { problemsFor } from './problems.js';

const cluster = { nodes: ['redis://127.0.0.1:7000', 'redis://127.0.0.1:7001'] };
const sentinel = { sentinels: ['10.0.0.1:26379', 'sentinel-b:26379'], name: 'mymaster', password: 'pw' };

describe('redis topology configuration', () => {
  it('accepts a cluster or a sentinel setup; url keeps its default', () => {
    expect(validateConfig({ redis: { cluster } }, 'test.yaml').redis.cluster).toEqual(cluster);
    const withSentinel = validateConfig({ redis: { sentinel } }, 'test.yaml').redis;
    expect(withSentinel.sentinel).toEqual(sentinel);
    expect(withSentinel.url).toBe('redis://127.0.0.1:6379');
  });

  it('refuses cluster and sentinel together', () => {
    expect(problemsFor({ redis: { cluster, sentinel } })).toEqual([
      { path: 'redis.cluster', message: expect.stringMatching(/mutually exclusive/) },
    ]);
  });

  it('refuses an embedded server that would always start with cluster or sentinel', () => {
    expect(problemsFor({ redis: { cluster, embedded: 'always' } })).toEqual([
      { path: 'redis.embedded', message: expect.stringMatching(/only stands in for redis.url/) },
    ]);
  });

  it('names malformed nodes, sentinels and a missing master name', () => {
    const paths = problemsFor({
      redis: { cluster: { nodes: [] } },
    }).map((p) => p.path);
    expect(paths).toEqual(['redis.cluster.nodes']);
    const problems = problemsFor({ redis: { sentinel: { sentinels: ['no-port'] } } });
    expect(problems.map((p) => p.path).sort()).toEqual([
      'redis.sentinel.name',
      'redis.sentinel.sentinels[0]',
    ]);
    expect(problemsFor({ redis: { cluster: { nodes: ['127.0.0.1:7000'] } } })[0]).toMatchObject({
      path: 'redis.cluster.nodes[0]',
      message: expect.stringMatching(/redis:\/\/host:port/),
    });
  });
});
