/**
 * Configuration references hold (issue #12, point 8): every status type named in the configuration must be in
 * the catalog when the daemon starts, and such a type cannot be deleted.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { MissingStatusTypesError, statusReferences } from '../../src/bridge/config/status-references.js';
import { Daemon } from '../../src/bridge/daemon.js';
import { createLogger } from '../../src/bridge/logger.js';
import { startTestDaemon, testConfig, type TestDaemon } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';

const FREEPBX = {
  id: 'main',
  kind: 'freepbx',
  // Never reached: the check runs before any PBX connection is made.
  ami: { host: '127.0.0.1', port: 1, username: 'bridge', secret: 'secret' },
  presenceMap: { 'dnd:on': 'lunch', 'presence:away': 'idle' },
};

describe('status types named in the configuration', () => {
  const running: TestDaemon[] = [];
  afterEach(async () => {
    for (const d of running.splice(0)) await d.stop();
  });

  it('lists every field that names a status type', () => {
    const config = testConfig({ redisUrl: 'redis://127.0.0.1:1', config: { pbx: [FREEPBX] } });
    expect(statusReferences(config)).toEqual([
      { path: 'status.defaultOnShiftStart', id: 'active' },
      { path: 'pbx[0].presenceMap["dnd:on"]', id: 'lunch' },
      { path: 'pbx[0].presenceMap["presence:away"]', id: 'idle' },
    ]);
  });

  it('stops the daemon at start with an error naming each field whose type does not exist', async () => {
    const config = testConfig({
      redisUrl: inject('redisUrl'),
      config: { status: { defaultOnShiftStart: 'welcome' }, pbx: [FREEPBX] },
    });
    const daemon = new Daemon({ config, log: createLogger('silent') });
    try {
      const failure = await daemon.start().then(
        () => null,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(MissingStatusTypesError);
      const message = (failure as Error).message;
      expect(message).toContain('status.defaultOnShiftStart: no status type "welcome"');
      expect(message).toContain('pbx[0].presenceMap["dnd:on"]: no status type "lunch"');
      expect(message).not.toContain('presence:away');
    } finally {
      await daemon.stop();
    }
  });

  it('starts once the types exist, and refuses to delete one with 409 STATUS_TYPE_IN_USE naming the field', async () => {
    const prefix = uniquePrefix('refs');
    // Create "lunch" first, with a daemon whose configuration does not name it.
    const setup = await startTestDaemon({ redisUrl: inject('redisUrl'), prefix });
    running.push(setup);
    expect(
      (await setup.request('admin', 'POST', '/v1/status-types', { name: 'Lunch', color: '#AA5500' })).status,
    ).toBe(201);
    await setup.stop();
    running.pop();

    const d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      prefix,
      config: {
        status: { defaultOnShiftStart: 'lunch' },
        pbx: [{ ...FREEPBX, presenceMap: { 'dnd:on': 'lunch' } }],
      },
    });
    running.push(d);
    const refused = await d.request('admin', 'DELETE', '/v1/status-types/lunch');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'STATUS_TYPE_IN_USE',
      details: {
        id: 'lunch',
        field: 'status.defaultOnShiftStart',
        fields: ['status.defaultOnShiftStart', 'pbx[0].presenceMap["dnd:on"]'],
      },
    });
    expect((await d.request('admin', 'GET', '/v1/status-types/lunch')).status).toBe(200);
  });
});
