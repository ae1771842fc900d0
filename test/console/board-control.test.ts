/**
 * The supervisor board's controls in headless Chromium against a real daemon: force a status on an agent who is
 * on a call, and end an agent's shift from a status that cannot end it, each confirmed once more; Cancel sends
 * nothing; and the status form's Productive field.
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';
import { ensureConsoleBuilt, launchBrowser, openConsole, type OpenedPage } from './browser.js';

const E2E_TIMEOUT = 60_000;

describe('board: supervisor control', () => {
  let d: TestDaemon;
  let browser: Browser;
  const opened: OpenedPage[] = [];

  const ok = async (
    role: Parameters<TestDaemon['request']>[0],
    method: 'PUT' | 'POST',
    url: string,
    body?: unknown,
  ) => {
    const r = await d.request(role, method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const userOf = async (id: string) => (await d.request('admin', 'GET', `/v1/users/${id}`)).body;

  beforeAll(async () => {
    await ensureConsoleBuilt();
    [d, browser] = await Promise.all([startTestDaemon({ redisUrl: inject('redisUrl') }), launchBrowser()]);
  }, E2E_TIMEOUT);

  afterEach(async () => {
    const errors = opened.flatMap((o) => o.errors);
    await Promise.all(opened.splice(0).map((o) => o.context.close()));
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await d?.stop();
  });

  it(
    'forces a status during a call and ends a shift from On Break, after a confirmation',
    async () => {
      await ok('admin', 'PUT', '/v1/users/f1', { displayName: 'Fay Force' });
      await ok('supervisor', 'PUT', '/v1/users/f1/status', { statusId: 'active' });
      await ok('integration', 'POST', '/v1/users/f1/activities', { id: 'call-1', kind: 'call' });
      const board = await openConsole(browser, d, 'supervisor', '/console/board');
      opened.push(board);
      const { page } = board;
      const tile = page.locator('.tile[data-user="f1"]');
      await tile.waitFor();

      await tile.getByText('Supervise').click();
      await tile.getByLabel('Status').selectOption('on-break');
      await tile.getByLabel('Reason (optional)').fill('coaching session');
      await tile.getByRole('button', { name: 'Force status…' }).click();
      await tile.getByText('Set “On Break” for Fay Force now, during the current work?').waitFor();
      // Cancel sends nothing.
      await tile.getByRole('button', { name: 'Cancel' }).click();
      expect((await userOf('f1')).status.id).toBe('active');

      await tile.getByRole('button', { name: 'Force status…' }).click();
      await tile.getByRole('button', { name: 'Force “On Break”' }).click();
      await page.locator('.tile[data-user="f1"][data-status="on-break"]').waitFor();
      expect((await userOf('f1')).status).toMatchObject({
        id: 'on-break',
        cause: 'supervisor',
        reason: 'coaching session',
        actor: { role: 'supervisor' },
      });
      expect((await userOf('f1')).activities).toHaveLength(1);

      // On Break cannot end a shift; the supervisor's forced end can.
      await tile.getByRole('button', { name: 'End shift…' }).click();
      await tile.getByRole('button', { name: 'End the shift' }).click();
      await tile.getByText('No shift started').waitFor();
      expect(await userOf('f1')).toMatchObject({
        shift: null,
        status: { id: 'offline', cause: 'shift-end' },
      });
      expect(await tile.getByRole('button', { name: 'End shift…' }).isDisabled()).toBe(true);
    },
    E2E_TIMEOUT,
  );
});

describe('status types: productive', () => {
  let d: TestDaemon;
  let browser: Browser;
  const opened: OpenedPage[] = [];

  beforeAll(async () => {
    await ensureConsoleBuilt();
    // "Welcome" exists first, then the daemon under test starts with a configuration that names it.
    const prefix = uniquePrefix('console-refs');
    const setup = await startTestDaemon({ redisUrl: inject('redisUrl'), prefix });
    await setup.request('admin', 'POST', '/v1/status-types', { name: 'Welcome', color: '#22AA88' });
    await setup.stop();
    [d, browser] = await Promise.all([
      startTestDaemon({
        redisUrl: inject('redisUrl'),
        prefix,
        config: { status: { defaultOnShiftStart: 'welcome' } },
      }),
      launchBrowser(),
    ]);
  }, E2E_TIMEOUT);

  afterAll(async () => {
    const errors = opened.flatMap((o) => o.errors);
    await Promise.all(opened.splice(0).map((o) => o.context.close()));
    await browser?.close();
    await d?.stop();
    expect(errors).toEqual([]);
  });

  it(
    'follows queue login until the admin changes it; a type the configuration names cannot be deleted',
    async () => {
      const screen = await openConsole(browser, d, 'admin', '/console/statuses');
      opened.push(screen);
      const { page } = screen;
      await page.getByRole('heading', { name: 'New status type' }).waitFor();
      await page.getByLabel('Name', { exact: true }).fill('Campaign');
      const productive = page.getByLabel('Productive');
      expect(await productive.isChecked()).toBe(false);
      await page.getByLabel('Queue login').check();
      expect(await productive.isChecked()).toBe(true);
      await productive.uncheck();
      await page.getByLabel('Queue login').uncheck();
      await page.getByLabel('Queue login').check();
      expect(await productive.isChecked()).toBe(false);
      await page.getByRole('button', { name: 'Create' }).click();
      await page.getByText('Created “Campaign”.').waitFor();
      expect((await d.request('admin', 'GET', '/v1/status-types/campaign')).body).toMatchObject({
        productive: false,
        callHandling: { queueLogin: true },
      });
      await page.locator('tr[data-type="campaign"]').getByText('Break time').waitFor();

      await page.getByRole('button', { name: 'Delete Welcome' }).click();
      await page.getByRole('button', { name: 'Delete “Welcome”' }).click();
      await page
        .getByText(
          '“Welcome” cannot be deleted: the daemon’s configuration names it (status.defaultOnShiftStart).',
        )
        .waitFor();
    },
    E2E_TIMEOUT,
  );
});
