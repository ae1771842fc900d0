/**
 * Screenshots of every console screen for docs/screenshots (written only by `npm run screenshots`; `npm test`
 * renders them and checks each screen, but leaves the tracked files alone), over a seeded contact-center day: nine agents, eight
 * hours of status changes and calls (made through the API with the daemon's clock set back, so history and the
 * report look like a real day), and the states a board must show: on a call with an upcoming status, overage,
 * connection lost, a PBX user, an ended shift. Each screen is also checked for what it must show.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';
import { ensureConsoleBuilt, launchBrowser, openConsole, PHONE, screenshot } from './browser.js';

const TIMEOUT = 90_000;

/** Per user: display name, then `minutes ago → action` (a status id, shift, endshift, call:id, task:id, end:id, hb). */
const DAY: Record<string, { name: string; pbx?: { connection: string; extension: string }; steps: string }> =
  {
    u1: {
      name: 'Dana Whitfield',
      steps:
        '470 shift, 430 call:d1, 421 end:d1, 380 idle, 372 active, 300 on-break, 287 active, 250 call:d2, 238 end:d2, 180 training, 120 active, 60 call:d3, 52 end:d3, 3 call:d4, 1 agent:on-break',
    },
    u2: {
      name: 'Marco Rossi',
      steps:
        '460 shift, 400 call:m1, 392 end:m1, 330 idle, 320 active, 240 lunch, 210 active, 150 call:m2, 141 end:m2, 90 on-break, 80 active, 4 call:m3',
    },
    u3: {
      name: 'Aiko Tanaka',
      steps:
        '455 shift, 410 call:a1, 398 end:a1, 350 on-break, 338 active, 230 lunch, 200 active, 120 call:a2, 100 end:a2, 22 on-break',
    },
    u4: {
      name: 'Sam Okafor',
      steps:
        '450 shift, 420 idle, 400 active, 330 call:s1, 318 end:s1, 260 on-break, 245 active, 200 training, 140 active, 8 hb, 6 on-break',
    },
    u5: {
      name: 'Lena Novak',
      steps:
        '440 shift, 400 call:l1, 385 end:l1, 330 on-break, 318 active, 280 call:l2, 270 end:l2, 225 lunch, 195 active, 9 idle',
    },
    u6: {
      name: 'Priya Raman',
      steps:
        '430 shift, 400 training, 340 active, 300 call:p1, 288 end:p1, 250 on-break, 236 active, 160 call:p2, 149 end:p2, 12 lunch',
    },
    u7: {
      name: 'Tom Becker',
      steps:
        '470 shift, 420 call:t1, 410 end:t1, 380 on-break, 365 active, 250 lunch, 220 active, 120 idle, 100 active, 60 endshift',
    },
    u8: {
      name: 'Joana Silva',
      pbx: { connection: 'main', extension: '1008' },
      steps: '420 shift, 390 call:j1, 380 end:j1, 300 idle, 290 active, 35 training',
    },
    u9: {
      name: 'Felix Wagner',
      steps: '465 shift, 410 on-break, 395 active, 340 call:f1, 331 end:f1, 220 lunch, 190 active, 2 task:f2',
    },
  };

describe('console screenshots', () => {
  let d: TestDaemon;
  let browser: Browser;
  /** The daemon's clock is set back by this much while the day is replayed. */
  let offsetMs = 0;

  const ok = async (
    role: Parameters<TestDaemon['request']>[0],
    method: Parameters<TestDaemon['request']>[1],
    url: string,
    body?: unknown,
  ) => {
    const r = await d.request(role, method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  async function act(user: string, action: string): Promise<void> {
    const path = `/v1/users/${user}`;
    const [verb, arg] = action.split(':') as [string, string | undefined];
    if (verb === 'shift') await ok('supervisor', 'POST', `${path}/shift`, {});
    else if (verb === 'endshift') await ok('supervisor', 'DELETE', `${path}/shift`);
    else if (verb === 'hb') await ok('integration', 'POST', `${path}/heartbeat`);
    else if (verb === 'call' || verb === 'task')
      await ok('integration', 'POST', `${path}/activities`, { id: arg, kind: verb });
    else if (verb === 'end') await ok('integration', 'DELETE', `${path}/activities/${arg}`);
    else if (verb === 'agent') await ok('agent', 'PUT', `${path}/status`, { statusId: arg });
    else await ok('supervisor', 'PUT', `${path}/status`, { statusId: verb });
  }

  async function seedDay(): Promise<void> {
    await ok('admin', 'POST', '/v1/status-types', {
      name: 'Lunch',
      color: '#8E44AD',
      keepOnConnectionLoss: true,
      limitPerShift: 1,
      allowedMinutes: 30,
      pbxPresence: {
        freepbx: { dnd: true, presence: 'xa', message: 'At lunch' },
        '3cx': { profile: 'Custom 1' },
      },
    });
    await ok('admin', 'POST', '/v1/status-types', {
      name: 'Training',
      color: '#16A085',
      canEndShift: true,
      allowedMinutes: 90,
    });
    const steps: Array<{ ago: number; user: string; action: string }> = [];
    // Users enter the directory before their day starts (a user's times never go back).
    offsetMs = -8 * 3600_000;
    for (const [user, { name, pbx, steps: text }] of Object.entries(DAY)) {
      await ok('admin', 'PUT', `/v1/users/${user}`, { displayName: name, ...(pbx ? { pbx } : {}) });
      for (const step of text.split(', ')) {
        const [ago, action] = step.split(' ') as [string, string];
        steps.push({ ago: Number(ago), user, action });
      }
    }
    // Replayed in time order across users; ties keep each user's own order.
    steps.sort((a, b) => b.ago - a.ago);
    for (const { ago, user, action } of steps) {
      offsetMs = -ago * 60_000;
      await act(user, action);
    }
    offsetMs = 0;
    // Timers set during the replay are due by now: the overage and the lost connection happen.
    await d.daemon.parts!.timers.promoteAll();
    await waitFor(async () => (await d.request('admin', 'GET', '/v1/users/u3')).body.overage, {
      what: 'overage of u3',
    });
    await waitFor(
      async () => (await d.request('admin', 'GET', '/v1/users/u4')).body.connection.state === 'lost',
      { what: 'lost connection of u4' },
    );
  }

  beforeAll(async () => {
    await ensureConsoleBuilt();
    [d, browser] = await Promise.all([
      startTestDaemon({ redisUrl: inject('redisUrl'), clock: () => new Date(Date.now() + offsetMs) }),
      launchBrowser(),
    ]);
    await seedDay();
  }, TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await d?.stop();
  });

  it(
    'agent (desktop and phone)',
    async () => {
      for (const [name, viewport] of [
        ['agent', undefined],
        ['agent-phone', PHONE],
      ] as const) {
        const { page, context, errors } = await openConsole(browser, d, 'agent', '/console/agent', viewport);
        await page.locator('.upcoming').filter({ hasText: 'On Break' }).waitFor();
        await page.getByText('Live', { exact: true }).waitFor({ state: 'attached' });
        await screenshot(page, name, viewport !== undefined);
        await context.close();
        expect(errors).toEqual([]);
      }
    },
    TIMEOUT,
  );

  it(
    'status types (editing one)',
    async () => {
      const { page, context, errors } = await openConsole(browser, d, 'admin', '/console/statuses');
      await page.getByRole('button', { name: 'Edit Lunch' }).click();
      await page.getByRole('heading', { name: 'Edit “Lunch”' }).waitFor();
      await screenshot(page, 'statuses', true);
      await context.close();
      expect(errors).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'board',
    async () => {
      const { page, context, errors } = await openConsole(browser, d, 'supervisor', '/console/board');
      await page
        .locator('.tile')
        .nth(Object.keys(DAY).length - 1)
        .waitFor();
      await page.locator('.tile.over[data-user="u3"]').waitFor();
      await page.locator('.tile.lost[data-user="u4"]').getByText('Connection lost').waitFor();
      await page.locator('.tile[data-user="u1"]').getByText('Next:').waitFor();
      await page.getByText('Live', { exact: true }).waitFor();
      await screenshot(page, 'board', true);
      await context.close();
      expect(errors).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'report',
    async () => {
      const { page, context, errors } = await openConsole(browser, d, 'supervisor', '/console/report');
      await page
        .locator('svg.chart g.bar')
        .nth(Object.keys(DAY).length - 1)
        .waitFor();
      await screenshot(page, 'report', true);
      await context.close();
      expect(errors).toEqual([]);
    },
    TIMEOUT,
  );
});
