/**
 * DND, presence, Follow Me ("ring my mobile") and the external-calls flag, the FreePBX way.
 *
 * Each function takes the current value (remembered in ctx.facts, else read), compares it with the wish and writes
 * only on a difference; it returns whether it wrote. Independent reads and writes are in flight together. Writes follow reference §4 (DND, presence), §6 (Follow Me) and §7
 * (our AstDB flag + dialplan hook for external calls).
 */
import { PbxError, type DesiredSettings } from '../pbx.js';
import { fields, field, isSuccess } from './ami-message.js';
import { dbDel, dbGet, dbPut, getvar, KEYS, setDeviceStates, setvar } from './astdb.js';
import { allSettled } from './pipeline.js';
import type { ApplyContext } from './apply-context.js';
import { DND_BY_DEVICE_STATE } from './event-map.js';
import { desiredPresence, encodePresence } from './presence-value.js';

/** DND: AstDB `DND/<ext>` (YES or absent) plus `Custom:DND<ext>` and `Custom:DEVDND<dev>` device states. */
export async function syncDnd(ctx: ApplyContext, desired: DesiredSettings): Promise<boolean> {
  const want = desired.presence.freepbx.dnd;
  const { ami, extension, facts } = ctx;
  const [stored, state] = await allSettled([
    // FreePBX dialplan: any non-empty value means DND
    facts.read('dndStored', async () => Boolean(await dbGet(ami, KEYS.dnd(extension)))),
    facts.read('dndState', async () => {
      const devState = await getvar(ami, `DEVICE_STATE(Custom:DND${extension})`);
      return DND_BY_DEVICE_STATE[devState.toUpperCase()] === true;
    }),
  ]);
  if (stored === want && state === want) return false;
  const devices = [`Custom:DND${extension}`, ...(await ctx.devices()).map((d) => `Custom:DEVDND${d}`)];
  await allSettled([
    stored === want
      ? Promise.resolve()
      : ctx.write('dndStored', want, () =>
          want ? dbPut(ami, KEYS.dnd(extension), 'YES') : dbDel(ami, KEYS.dnd(extension)),
        ),
    ctx.write('dndState', want, () => setDeviceStates(ami, devices, want ? 'BUSY' : 'UNAVAILABLE')),
  ]);
  return true;
}

/** Presence: `PRESENCE_STATE(CustomPresence:<ext>)` = `<state>,,<message>`. */
export async function syncPresence(ctx: ApplyContext, desired: DesiredSettings): Promise<boolean> {
  const { presence, message } = desired.presence.freepbx;
  const want = desiredPresence(presence, message);
  const current = await ctx.facts.read('presence', () => readPresence(ctx));
  if (current.state === want.state && current.message === want.message) return false;
  await ctx.write('presence', { state: want.state, message: want.message }, () =>
    setvar(ctx.ami, `PRESENCE_STATE(CustomPresence:${ctx.extension})`, encodePresence(want)),
  );
  return true;
}

/** PresenceState reply: `Message: Presence State`, `State`, optional `Subtype`/`Message` (+`PresenceMessage`). */
async function readPresence(ctx: ApplyContext): Promise<{ state: string; message: string }> {
  const res = await ctx.ami.send({ Action: 'PresenceState', Provider: `CustomPresence:${ctx.extension}` });
  // never set: "Invalid provider … or provider in invalid state", which equals not_set for us
  if (!isSuccess(res)) return { state: 'not_set', message: '' };
  const message = field(res, 'presencemessage') || (fields(res, 'message')[1] ?? '');
  return { state: field(res, 'state').toLowerCase(), message };
}

/**
 * Ring my mobile = FreePBX Follow Me: `ddial` DIRECT (on) / EXTENSION (off). Only for extensions whose
 * Follow Me exists (the `ddial` key; FreePBX generates the dialplan only for those, reference §6).
 * When switching on with a known mobile, the mobile is added to `grplist` if missing (never removed).
 */
export async function syncFollowMe(ctx: ApplyContext, desired: DesiredSettings): Promise<boolean> {
  const want = desired.ringMyMobile;
  const { ami, extension } = ctx;
  const ddial = await ctx.facts.read(
    'ddial',
    async () => (await dbGet(ami, KEYS.followMeDdial(extension))) ?? null,
  );
  if (ddial === null) {
    if (!want) return false; // no Follow Me = the extension rings normally, which is the wish
    ctx.facts.forget('ddial'); // Follow Me may be created any time: ask again next time
    throw new PbxError(
      'PBX_FEATURE_NOT_CONFIGURED',
      `Follow Me is not set up for extension ${extension}; create it in FreePBX (Applications > Follow Me)`,
      { extension, field: 'ringMyMobile' },
    );
  }
  let changed = want && ctx.target.mobile ? await ensureInFollowMeList(ctx, ctx.target.mobile) : false;
  const wantDdial = want ? 'DIRECT' : 'EXTENSION';
  if (ddial !== wantDdial) {
    const blfs = (await ctx.devices()).map((d) => `Custom:FOLLOWME${d}`);
    await ctx.write('ddial', wantDdial, async () => {
      await dbPut(ami, KEYS.followMeDdial(extension), wantDdial);
      await setDeviceStates(ami, blfs, want ? 'BUSY' : 'NOT_INUSE');
    });
    changed = true;
  }
  return changed;
}

/** Adds `<mobile>#` (FreePBX marks external numbers with `#`) to the dash-separated list if absent. */
async function ensureInFollowMeList(ctx: ApplyContext, mobile: string): Promise<boolean> {
  const number = mobile.replace(/[^0-9+*]/g, '');
  if (!number) return false;
  const key = KEYS.followMeList(ctx.extension);
  const list = await ctx.facts.read('followMeList', async () => (await dbGet(ctx.ami, key)) ?? '');
  const entries = list.split('-').filter(Boolean);
  if (entries.includes(`${number}#`)) return false;
  const next = [...entries, `${number}#`].join('-');
  await ctx.write('followMeList', next, () => dbPut(ctx.ami, key, next));
  return true;
}

/** External calls: our AstDB flag `PRESENCEBRIDGE/<ext>/external` = allow | deny (absent = allow). */
export async function syncExternalCalls(ctx: ApplyContext, desired: DesiredSettings): Promise<boolean> {
  const want = desired.externalCalls ? 'allow' : 'deny';
  const key = KEYS.externalCalls(ctx.extension);
  const current = await ctx.facts.read('external', async () => (await dbGet(ctx.ami, key)) ?? 'allow');
  if (current === want) return false;
  await ctx.write('external', want, () => dbPut(ctx.ami, key, want));
  return true;
}
