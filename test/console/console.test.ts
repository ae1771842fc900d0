/**
 * The web console end to end: headless Chromium against a real daemon on the private test Redis. Every change
 * the pages must follow is made through the API with another role's key, and every assertion waits on the DOM
 * with a deadline (no sleeps).
 */
import { readFileSync } from 'node:fs';
import type { Browser, Dialog } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';
import { ensureConsoleBuilt, launchBrowser, openConsole, type OpenedPage } from './browser.js';

const E2E_TIMEOUT = 60_000;

describe('web console', () => {
  let d: TestDaemon;
  let browser: Browser;
  const opened: OpenedPage[] = [];

  const open = async (
    ...args: Parameters<typeof openConsole> extends [unknown, unknown, ...infer R] ? R : never
  ) => {
    const page = await openConsole(browser, d, ...args);
    opened.push(page);
    return page;
  };

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
    'signs in with the form, keeps the key out of the URL, and lands on the role’s screen',
    async () => {
      const { page } = await open(null, '/console');
      await page.getByLabel('API key').fill('not-a-key');
      await page.getByLabel('API key').press('Enter');
      await page.getByText('The key was not accepted').waitFor();
      await page.getByLabel('API key').fill('test-supervisor-key-0123456789');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Board' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/console/board');
      expect(page.url()).not.toContain('key');
      // An agent-only screen explains itself instead of failing.
      await page.goto(`${d.url}/console/agent`);
      await page.getByText('“My status” is for agent keys').waitFor();
    },
    E2E_TIMEOUT,
  );

  it(
    'agent: On Break chosen during a call is upcoming, then applies by itself when the call ends',
    async () => {
      await ok('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana Whitfield' });
      await ok('agent', 'POST', '/v1/users/u1/shift', {});
      await ok('integration', 'POST', '/v1/users/u1/activities', { id: 'call-1', kind: 'call' });

      const { page } = await open('agent', '/console/agent');
      const current = page.locator('.status-card .status-name');
      await current.filter({ hasText: 'Active' }).waitFor();
      await page.getByText('On a call since').waitFor();
      expect(page.url()).not.toContain('#key');

      await page.getByLabel('Change status').selectOption('on-break');
      await page.getByRole('button', { name: 'Set status' }).click();
      const upcoming = page.locator('.upcoming');
      await upcoming.filter({ hasText: 'On Break' }).waitFor();
      expect(await upcoming.textContent()).toContain('starts when your call ends');
      expect(await current.textContent()).toBe('Active');
      expect((await d.request('admin', 'GET', '/v1/users/u1')).body.upcoming.id).toBe('on-break');

      await ok('integration', 'DELETE', '/v1/users/u1/activities/call-1');
      await current.filter({ hasText: 'On Break' }).waitFor({ timeout: 5_000 });
      await upcoming.waitFor({ state: 'hidden' });

      // "On Break" cannot end a shift: the button says why instead of failing.
      const end = page.getByRole('button', { name: 'End shift' });
      expect(await end.isDisabled()).toBe(true);
      expect(await page.locator('#end-shift-reason').textContent()).toContain(
        '“On Break” cannot end a shift',
      );
      // The open page keeps the connection alive with heartbeats.
      expect((await d.request('admin', 'GET', '/v1/users/u1')).body.connection.state).toBe('online');

      // On Break keeps its status when the connection is lost, Active does not: back in Active, closing the
      // page would end with Offline after the connection timeout, so the page says so and the browser asks.
      const note = page.locator('.leave-note');
      expect(await note.isHidden()).toBe(true);
      await page.getByLabel('Change status').selectOption('active');
      await page.getByRole('button', { name: 'Set status' }).click();
      await current.filter({ hasText: 'Active' }).waitFor();
      await note.waitFor();
      expect(await note.textContent()).toContain('sets you Offline');
      const asked = new Promise<Dialog>((resolve) => page.once('dialog', resolve));
      await page.close({ runBeforeUnload: true });
      const dialog = await asked;
      expect(dialog.type()).toBe('beforeunload');
      await dialog.accept();
    },
    E2E_TIMEOUT,
  );

  it(
    'agent: a refusal is a readable message, and cancelling an upcoming status works',
    async () => {
      await ok('admin', 'POST', '/v1/status-types', {
        id: 'coaching',
        name: 'Coaching',
        color: '#16A085',
        limitPerShift: 1,
      });
      await ok('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana Whitfield' });
      await ok('supervisor', 'PUT', '/v1/users/u1/status', { statusId: 'active' });
      const { page } = await open('agent', '/console/agent');
      await page.locator('.status-card .status-name').filter({ hasText: 'Active' }).waitFor();

      await page.getByLabel('Change status').selectOption('coaching');
      await page.getByRole('button', { name: 'Set status' }).click();
      await page.locator('.status-card .status-name').filter({ hasText: 'Coaching' }).waitFor();
      await ok('supervisor', 'PUT', '/v1/users/u1/status', { statusId: 'active' });
      await page.locator('.status-card .status-name').filter({ hasText: 'Active' }).waitFor();
      // The option now says the limit is used up; the API's refusal is shown as a sentence if tried anyway.
      await page.getByRole('option', { name: 'Coaching — 1 of 1 used' }).waitFor({ state: 'attached' });
      await page.evaluate('document.querySelector("#agent-status option[value=coaching]").disabled = false');
      await page.getByLabel('Change status').selectOption('coaching');
      await page.getByRole('button', { name: 'Set status' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: 'Limit reached: “Coaching” may be used 1 times per shift' })
        .waitFor();

      await ok('integration', 'POST', '/v1/users/u1/activities', { id: 'call-2', kind: 'call' });
      await page.getByText('On a call since').waitFor();
      await page.getByLabel('Change status').selectOption('idle');
      await page.getByRole('button', { name: 'Set status' }).click();
      await page.locator('.upcoming').filter({ hasText: 'Idle' }).waitFor();
      await page.getByRole('button', { name: 'Cancel upcoming Idle' }).click();
      await page.locator('.upcoming').waitFor({ state: 'hidden' });
      expect((await d.request('admin', 'GET', '/v1/users/u1')).body.upcoming).toBeNull();
      await ok('integration', 'DELETE', '/v1/users/u1/activities/call-2');
    },
    E2E_TIMEOUT,
  );

  it(
    'agent: a key whose user is not in the directory gets an explanation, not a broken form',
    async () => {
      await d.request('admin', 'DELETE', '/v1/users/u2');
      const { page } = await open('agent2', '/console/agent');
      await page.getByText('Your user “u2” is not in the directory yet').waitFor();
      expect(await page.getByRole('button', { name: 'Set status' }).isVisible()).toBe(false);
      expect(await page.getByRole('button', { name: 'Start shift' }).isVisible()).toBe(false);
      // Once an integration adds the user, the first event about it brings the page to life.
      await ok('integration', 'PUT', '/v1/users/u2', { displayName: 'Uma Second' });
      await ok('integration', 'POST', '/v1/users/u2/shift', {});
      await page
        .locator('.status-card .status-name')
        .filter({ hasText: 'Active' })
        .waitFor({ timeout: 5_000 });
      expect(await page.getByRole('button', { name: 'Set status' }).isVisible()).toBe(true);
    },
    E2E_TIMEOUT,
  );

  it(
    'admin: creates a status type with every parameter (API errors by their field), it is in the agent’s dropdown, edits reach open pages live',
    async () => {
      await ok('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana Whitfield' });
      const agent = await open('agent', '/console/agent');
      await agent.page
        .getByLabel('Change status')
        .locator('option[value="active"]')
        .waitFor({ state: 'attached' });

      const { page } = await open('admin', '/console/statuses');
      await page.getByRole('heading', { name: 'New status type' }).waitFor();
      await page.getByLabel('Name', { exact: true }).fill('Lunch');
      await page.getByLabel('Color').fill('#8e44ad');
      await page.getByLabel('Do not change status when connection lost').check();
      await page.getByLabel('Can end the shift').check();
      await page.getByLabel('Status limit').fill('2');
      await page.getByLabel('Allowed time (minutes)').fill('30');
      await page.getByLabel('Ring my mobile').check();
      await page.getByLabel('Queue login').check();
      await page.getByLabel('Enable external calls').check();
      await page.getByLabel('Do not disturb (DND)').check();
      await page.getByLabel('Presence state').selectOption('xa');
      await page.getByLabel('Presence message').fill('At lunch, back soon');
      await page.getByLabel('Status profile').fill('Custom 1');
      await page.getByRole('button', { name: 'Create' }).click();

      // The API refuses the comma; its message appears under that field, which is marked invalid and focused.
      const message = page.getByLabel('Presence message');
      await waitFor(async () => (await message.getAttribute('aria-invalid')) === 'true', {
        what: 'invalid field',
      });
      const describedBy = (await message.getAttribute('aria-describedby'))!.split(' ');
      const errorText = await page.locator(`#${describedBy.at(-1)}`).textContent();
      expect(errorText).toContain('no line breaks or commas');
      expect(await page.evaluate('document.activeElement.name')).toBe('pbxPresence.freepbx.message');

      await message.fill('At lunch');
      await page.getByRole('button', { name: 'Create' }).click();
      await page.getByText('Created “Lunch”.').waitFor();
      await page.locator('tr[data-type="lunch"]').waitFor();

      const created = (await d.request('admin', 'GET', '/v1/status-types/lunch')).body;
      expect(created).toMatchObject({
        name: 'Lunch',
        color: '#8E44AD',
        keepOnConnectionLoss: true,
        canEndShift: true,
        limitPerShift: 2,
        allowedMinutes: 30,
        callHandling: { ringMyMobile: true, queueLogin: true, externalCalls: true },
        pbxPresence: {
          freepbx: { dnd: true, presence: 'xa', message: 'At lunch' },
          '3cx': { profile: 'Custom 1' },
        },
      });

      // It is in the agent's dropdown.
      const fresh = await open('agent', '/console/agent');
      const lunchOption = (p: typeof page) => p.getByLabel('Change status').locator('option[value="lunch"]');
      await lunchOption(fresh.page).waitFor({ state: 'attached' });
      expect(await lunchOption(fresh.page).textContent()).toBe('Lunch — 0 of 2 used');

      // Editing shows the stored values; an agent page that is already open follows the change live.
      await page.getByRole('button', { name: 'Edit Lunch' }).click();
      expect(await page.getByLabel('Allowed time (minutes)').inputValue()).toBe('30');
      expect(await page.getByLabel('Presence state').inputValue()).toBe('xa');
      await page.getByLabel('Status limit').fill('3');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText('Saved “Lunch”.').waitFor();
      expect((await d.request('admin', 'GET', '/v1/status-types/lunch')).body.limitPerShift).toBe(3);
      await agent.page
        .getByRole('option', { name: 'Lunch — 0 of 3 used' })
        .waitFor({ state: 'attached', timeout: 5_000 });

      // Deleting a type in use explains the refusal.
      await ok('supervisor', 'PUT', '/v1/users/u1/status', { statusId: 'lunch' });
      await page.getByRole('button', { name: 'Delete Lunch' }).click();
      await page.getByRole('button', { name: 'Delete “Lunch”' }).click();
      await page.getByText('“Lunch” cannot be deleted: 1 agent is in this status or has it as').waitFor();
      expect((await d.request('admin', 'GET', '/v1/status-types/lunch')).status).toBe(200);
      await ok('supervisor', 'PUT', '/v1/users/u1/status', { statusId: 'active' });
    },
    E2E_TIMEOUT,
  );

  it(
    'board: follows an API change within a second, filters, and resumes after a network drop',
    async () => {
      for (const [id, name] of [
        ['b1', 'Ana Board'],
        ['b2', 'Ben Board'],
        ['b3', 'Cyd Board'],
      ]) {
        await ok('admin', 'PUT', `/v1/users/${id}`, { displayName: name });
        await ok('supervisor', 'PUT', `/v1/users/${id}/status`, { statusId: 'active' });
      }
      const { page, context } = await open('supervisor', '/console/board');
      const tile = (id: string, status: string) =>
        page.locator(`.tile[data-user="${id}"][data-status="${status}"]`);
      await tile('b2', 'active').waitFor();
      await page.getByText('Live', { exact: true }).waitFor();

      const started = Date.now();
      await ok('supervisor', 'PUT', '/v1/users/b2/status', { statusId: 'on-break' });
      await tile('b2', 'on-break').waitFor({ timeout: 1_000 });
      expect(Date.now() - started).toBeLessThan(1_000);

      // Counts are the status filter; search narrows by name.
      const onBreak = page.locator('#filter-status-on-break');
      await onBreak.filter({ hasText: '1' }).waitFor();
      await onBreak.click();
      expect(await onBreak.getAttribute('aria-pressed')).toBe('true');
      // Selected and hovered, the chip stays dark under its white label (the generic button hover made it light).
      await onBreak.hover();
      expect(
        await page.evaluate(
          'getComputedStyle(document.querySelector("#filter-status-on-break")).backgroundColor',
        ),
      ).toBe('rgb(51, 65, 79)');
      await page.locator('.tile[data-user="b1"]').waitFor({ state: 'hidden' });
      expect(await page.locator('.tile[data-user="b2"]').isVisible()).toBe(true);
      await onBreak.click();
      await page.getByLabel('Search by name').fill('cyd');
      await page.locator('.tile[data-user="b2"]').waitFor({ state: 'hidden' });
      expect(await page.locator('.tile[data-user="b3"]').isVisible()).toBe(true);
      await page.getByLabel('Search by name').fill('');

      // Network drop: the page says so; changes made meanwhile arrive by resuming (Last-Event-ID), not by reloading.
      const listLoads: string[] = [];
      page.on('request', (r) => {
        if (/\/v1\/users\?/.test(r.url())) listLoads.push(r.url());
      });
      const resumedWith: string[] = [];
      page.on('request', (r) => {
        const id = r.headers()['last-event-id'];
        if (r.url().endsWith('/v1/events') && id) resumedWith.push(id);
      });
      await context.setOffline(true);
      await page.getByText('Reconnecting…').waitFor();
      await page.getByText('Connection to the server lost').waitFor();
      await ok('supervisor', 'PUT', '/v1/users/b3/status', { statusId: 'idle' });
      await context.setOffline(false);
      await tile('b3', 'idle').waitFor({ timeout: 10_000 });
      await page.getByText('Live', { exact: true }).waitFor();
      await page.locator('pb-connection.banner').waitFor({ state: 'hidden' });
      expect(resumedWith.length).toBeGreaterThan(0);
      expect(listLoads).toEqual([]);
    },
    E2E_TIMEOUT,
  );

  it(
    'board: a "PBX not in sync" filter shows who the PBX is not in step with',
    async () => {
      await ok('admin', 'PUT', '/v1/users/s1', { displayName: 'Sia Sync' });
      // This daemon has no PBX connection "nowhere": the user's sync goes pending, then failed.
      await ok('admin', 'PUT', '/v1/users/s2', {
        displayName: 'Sol Sync',
        pbx: { connection: 'nowhere', extension: '1001' },
      });
      await waitFor(async () => (await ok('admin', 'GET', '/v1/users/s2')).pbx.sync.state === 'failed', {
        what: 'sync failed',
      });
      const { page } = await open('supervisor', '/console/board');
      await page.locator('.tile[data-user="s2"] .tile-pbx.sync-failed').waitFor();
      const filter = page.locator('#filter-sync');
      await filter.filter({ hasText: 'PBX not in sync1' }).waitFor();
      await filter.click();
      await page.locator('.tile[data-user="s1"]').waitFor({ state: 'hidden' });
      expect(await page.locator('.tile[data-user="s2"]').isVisible()).toBe(true);
    },
    E2E_TIMEOUT,
  );

  it(
    'report: a day as a chart and a table, and the same as CSV',
    async () => {
      await ok('admin', 'PUT', '/v1/users/r1', { displayName: 'Rae Report' });
      await ok('supervisor', 'PUT', '/v1/users/r1/status', { statusId: 'active' });
      await ok('supervisor', 'PUT', '/v1/users/r1/status', { statusId: 'on-break' });
      const { page } = await open('supervisor', '/console/report');
      await page.locator('svg.chart rect.segment').first().waitFor();
      await page.locator('table.report th[scope="row"]', { hasText: 'Rae Report' }).waitFor();
      // Status columns in catalogue order with Offline last, not in id order (Offline between Idle and On Break).
      const columns = (await page.locator('table.report th[scope="col"]').allTextContents()).map((c) =>
        c.trim(),
      );
      const shown = ['Active', 'Idle', 'On Break', 'Offline'].filter((name) => columns.includes(name));
      expect(shown).toEqual(expect.arrayContaining(['Active', 'On Break', 'Offline']));
      expect(columns.filter((c) => shown.includes(c))).toEqual(shown);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download CSV' }).click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/\.csv$/);
      const csv = readFileSync((await download.path())!, 'utf8');
      expect(csv.split('\n')[0]).toContain('userId');
      expect(csv).toContain('r1');
    },
    E2E_TIMEOUT,
  );
});
