/**
 * README "First five minutes" stays true: every `$ curl …` line of the walk-through is run, in order, against a
 * daemon (curl's method, headers, URL and body taken from the line, `$KEY`, `$PB` and the `date` substitutions
 * filled in, the `| jq …` formatting left out), each must succeed, and the story must end as the README says:
 * the break the agent asked for during the call applied by itself when the call ended.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KEYS, startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { read } from './packaging.js';

const readme = read('README.md');
const section = readme.slice(
  readme.indexOf('## First five minutes'),
  readme.indexOf('\n## ', readme.indexOf('## First five minutes') + 1),
);

/** Shell-like words: single quotes literal, double quotes keep $VARS for later expansion. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

interface Request {
  line: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  expected: number;
}

function requests(base: string): Request[] {
  const day = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const expand = (text: string) =>
    text
      .replaceAll('$(date -u +%F)', day)
      .replaceAll('$(date -u -d tomorrow +%F)', tomorrow)
      .replaceAll('$KEY', KEYS.admin)
      .replaceAll('$PB', base);
  return [...section.matchAll(/^\$ (curl .*)$/gm)].map(([, line]) => {
    const command = (line as string).split(' | jq')[0] as string;
    const args = words(command).slice(1);
    const request: Request = { line: line as string, method: 'GET', url: '', headers: {}, expected: 200 };
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] as string;
      if (arg === '-X') request.method = args[++i] as string;
      else if (arg === '-H') {
        const [name, ...value] = expand(args[++i] as string).split(':');
        request.headers[(name as string).toLowerCase()] = value.join(':').trim();
      } else if (arg === '-d') request.body = args[++i] as string;
      else if (arg === '-o' || arg === '-w') i++;
      else if (arg.startsWith('$PB')) request.url = expand(arg);
    }
    // The one line that prints its status code shows it on the next line of the README.
    const shown = section.slice(section.indexOf(line as string) + (line as string).length).split('\n')[1];
    if (command.includes('%{http_code}') && /^\d{3}$/.test(shown ?? '')) request.expected = Number(shown);
    return request;
  });
}

describe('README "First five minutes"', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startTestDaemon({ redisUrl: inject('redisUrl') });
  });
  afterAll(async () => d?.stop());

  it('runs, every command succeeding, and ends with the deferred break applied', async () => {
    const all = requests(d.url);
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(all.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual(
      expect.arrayContaining([
        'POST /v1/status-types',
        'PUT /v1/users/u-1001',
        'POST /v1/users/u-1001/shift',
        'POST /v1/users/u-1001/activities',
        'PUT /v1/users/u-1001/status',
        'DELETE /v1/users/u-1001/activities/call-1',
        'GET /v1/users/u-1001/history',
        'GET /v1/reports/time-in-status',
      ]),
    );
    for (const r of all) {
      const res = await fetch(r.url, {
        method: r.method,
        headers: r.headers,
        ...(r.body !== undefined ? { body: r.body } : {}),
      });
      const text = await res.text();
      if (r.expected !== 200) expect(res.status, `${r.line}\n${text}`).toBe(r.expected);
      else expect(res.status < 300, `${r.line}\n${res.status} ${text}`).toBe(true);
    }
    const dana = (await d.request('admin', 'GET', '/v1/users/u-1001')).body;
    expect(dana.status).toMatchObject({ id: 'on-break', cause: 'deferred' });
    expect(dana.upcoming).toBeNull();
    expect(dana.activities).toEqual([]);
  });

  it('shows the events stream command with the same key', () => {
    expect(section).toContain('curl -sN -H "Authorization: Bearer $KEY" $PB/v1/events');
    expect(section).toContain('event: user.status.changed');
  });
});
