/**
 * The web console with real calls: headless Chromium against a daemon connected to the fake AMI server. The agent
 * screen and the board show a ringing phone (an offer, which changes nothing about picking a status), then the
 * call, then the wrap-up as a countdown that the agent can extend and finish. Every assertion waits on the DOM.
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { AmiCalls } from '../fakes/ami-calls.js';
import { FakeAmiServer } from '../fakes/fake-ami-server.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { freepbxConnection, seedExtensions } from '../harness/pbx.js';
import { waitFor } from '../harness/wait.js';
import { ensureConsoleBuilt, launchBrowser, openConsole, type OpenedPage } from './browser.js';

const E2E_TIMEOUT = 60_000;

describe('web console: ringing, calls and the wrap-up countdown', () => {
  let fake: FakeAmiServer;
  let d: TestDaemon;
  let browser: Browser;
  const opened: OpenedPage[] = [];

  beforeAll(async () => {
    await ensureConsoleBuilt();
    fake = await new FakeAmiServer().start();
    seedExtensions(fake, ['1001']);
    [d, browser] = await Promise.all([
      startTestDaemon({
        redisUrl: inject('redisUrl'),
        config: {
          status: { wrapUpSeconds: 120, wrapUpMaxSeconds: 600 },
          pbx: [freepbxConnection(fake)],
        },
      }),
      launchBrowser(),
    ]);
    await waitFor(async () => (await d.request('admin', 'GET', '/v1/pbx')).body.connections[0].connected, {
      what: 'AMI connected',
    });
  }, E2E_TIMEOUT);

  afterEach(async () => {
    const errors = opened.flatMap((o) => o.errors);
    await Promise.all(opened.splice(0).map((o) => o.context.close()));
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await d?.stop();
    await fake?.stop();
  });

  it(
    'shows "ringing" while the phone rings, the call once answered, then a wrap-up countdown to extend and finish',
    async () => {
      await d.request('admin', 'PUT', '/v1/users/u1', {
        displayName: 'Dana Whitfield',
        pbx: { connection: 'main', extension: '1001' },
      });
      await d.request('agent', 'POST', '/v1/users/u1/shift', {});
      const agent = await openConsole(browser, d, 'agent', '/console/agent');
      const board = await openConsole(browser, d, 'supervisor', '/console/board');
      opened.push(agent, board);
      const { page } = agent;
      await page.locator('.status-card .status-name').filter({ hasText: 'Active' }).waitFor();
      const tile = board.page.locator('[data-user="u1"]');
      await tile.waitFor();

      const call = new AmiCalls(fake).directCall('1001');
      await page.getByText('Your phone is ringing').waitFor();
      await tile.getByText('Phone ringing').waitFor();
      expect(await page.locator('.engagement').textContent()).not.toContain('On a call');

      call.answer();
      await page.getByText('On a call since').waitFor();
      await page.getByText('Your phone is ringing').waitFor({ state: 'hidden' });
      await tile.getByText('Phone ringing').waitFor({ state: 'hidden' });

      call.hangUp();
      const wrapUp = page.locator('.engagement .wrap-up');
      await wrapUp.waitFor();
      // Counting down from 2:00 (a second may have passed); the board shows the same countdown.
      expect(await wrapUp.locator('pb-countdown').textContent()).toMatch(/^(2:00|1:5\d)$/);
      await tile
        .locator('.tile-wrap-up pb-countdown')
        .filter({ hasText: /^(2:00|1:5\d)$/ })
        .waitFor();

      const before = (await d.request('admin', 'GET', '/v1/users/u1')).body.wrapUp.until;
      await page.getByRole('button', { name: 'Extend 1 min' }).click();
      await page.getByText('Wrap-up extended by 1 min.').waitFor();
      await wrapUp
        .locator('pb-countdown')
        .filter({ hasText: /^(3:00|2:5\d)$/ })
        .waitFor();
      const after = (await d.request('admin', 'GET', '/v1/users/u1')).body.wrapUp.until;
      expect(Date.parse(after) - Date.parse(before)).toBe(60_000);
      await tile
        .locator('.tile-wrap-up pb-countdown')
        .filter({ hasText: /^(3:00|2:5\d)$/ })
        .waitFor();

      await page.getByRole('button', { name: 'Finish wrap-up' }).click();
      await wrapUp.waitFor({ state: 'hidden' });
      await tile.locator('.tile-wrap-up').waitFor({ state: 'hidden' });
    },
    E2E_TIMEOUT,
  );

  it(
    'explains a refused extension past the maximum',
    async () => {
      await d.request('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana Whitfield', wrapUpSeconds: 570 });
      const agent = await openConsole(browser, d, 'agent', '/console/agent');
      opened.push(agent);
      const call = new AmiCalls(fake).directCall('1001').answer();
      await agent.page.getByText('On a call since').waitFor();
      call.hangUp();
      await agent.page.locator('.engagement .wrap-up').waitFor();
      await agent.page.getByRole('button', { name: 'Extend 1 min' }).click();
      await agent.page
        .getByText('The wrap-up cannot last longer than 10 min after the call (30 s left to add).')
        .waitFor();
    },
    E2E_TIMEOUT,
  );

  it(
    'report: counts the calls that rang out unanswered as missed offers',
    async () => {
      await d.request('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana Whitfield', wrapUpSeconds: null });
      await d.request('agent', 'DELETE', '/v1/users/u1/wrap-up'); // left running by the test before
      expect((await d.request('admin', 'GET', '/v1/users/u1')).body).toMatchObject({
        status: { id: 'active' },
        wrapUp: null,
        activities: [],
      });
      new AmiCalls(fake).directCall('1001').ringOut();
      await waitFor(
        async () => {
          const now = Date.now();
          const query = `from=${new Date(now - 3_600_000).toISOString()}&to=${new Date(now + 60_000).toISOString()}`;
          const report = await d.request(
            'supervisor',
            'GET',
            `/v1/reports/time-in-status?${query}&userId=u1`,
          );
          return report.body.users[0].missedOffers === 1;
        },
        { what: 'the miss in the report' },
      );
      const report = await openConsole(browser, d, 'supervisor', '/console/report');
      opened.push(report);
      const row = report.page.locator('table.report tr', { hasText: 'Dana Whitfield' });
      await row.locator('td.missed-offers', { hasText: '1' }).waitFor();
      expect(await report.page.locator('table.report th', { hasText: 'Missed offers' }).count()).toBe(1);
    },
    E2E_TIMEOUT,
  );
});
