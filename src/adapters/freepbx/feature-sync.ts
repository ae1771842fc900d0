/**
 * DND, presence, Follow Me ("ring my mobile") and the external-calls flag, the FreePBX way.
 *
 * Each function reads the current value, compares it with the wish and writes only on a difference;
 * it returns whether it wrote. Writes follow reference §4 (DND, presence), §6 (Follow Me) and §7
 * (our AstDB flag + dialplan hook for external calls).
 */
import { PbxError, type DesiredSettings } from '../pbx.js';
import { fields, field, isSuccess } from './ami-message.js';
import { dbDel, dbGet, dbPut, getvar, KEYS, setDeviceStates, setvar } from './astdb.js';
import type { ApplyContext } from './apply-context.js';
import { DND_BY_DEVICE_STATE } from './event-map.js';
import { desiredPresence, encodePresence } from './presence-value.js';

/** DND: AstDB `DND/<ext>` (YES or absent) plus `Custom:DND<ext>` and `Custom:DEVDND<dev>` device states. */
export async function syncDnd(ctx: ApplyContext, desired: DesiredSettings): Promise<boolean> {
  const want = desired.presence.freepbx.dnd;
  const stored = await dbGet(ctx.ami, KEYS.dnd(ctx.extension));
  const devState = await getvar(ctx.ami, `DEVICE_STATE(Custom:DND${ctx.extension})`);
  const storedOk = Boolean(stored) === want; // FreePBX dialplan: any non-empty value means DND
  const stateOk = (DND_BY_DEVICE_STATE[devState.toUpperCase()] === true) === want;
  if (storedOk && stateOk) return false;
  if (!storedOk && want) await dbPut(ctx.ami, KEYS.dnd(ctx.extension), 'YES');
  if (!storedOk && !want) await dbDel(ctx.ami, KEYS.dnd(ctx.extension));
  const devices = [`Custom:DND${ctx.extension}`, ...(await ctx.devices()).map((d) => `Custom:DEVDND${d}`)];
  await setDeviceStates(ctx.ami, devices, want ? 'BUSY' : 'UNAVAILABLE');
  return true;
}

/** Presence: `PRESENCE_STATE(CustomPresence:<ext>)` = `<state>,,<message>`. */
export async function syncPresence(ctx: ApplyContext, desired: DesiredSettings): Promise<boolean> {
  const { presence, message } = desired.presence.freepbx;
  const want = desiredPresence(presence, message);
  const current = await readPresence(ctx);
  if (current.state === want.state && current.message === want.message) return false;
  await setvar(ctx.ami, `PRESENCE_STATE(CustomPresence:${ctx.extension})`, encodePresence(want));
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
  const ddial = await dbGet(ctx.ami, KEYS.followMeDdial(ctx.extension));
  if (ddial === undefined) {
    if (!want) return false; // no Follow Me = the extension rings normally, which is the wish
    throw new PbxError(
      'PBX_FEATURE_NOT_CONFIGURED',
      `Follow Me is not set up for extension ${ctx.extension}; create it in FreePBX (Applications > Follow Me)`,
      { extension: ctx.extension, field: 'ringMyMobile' },
    );
  }
  let changed = want && ctx.target.mobile ? await ensureInFollowMeList(ctx, ctx.target.mobile) : false;
  const wantDdial = want ? 'DIRECT' : 'EXTENSION';
  if (ddial !== wantDdial) {
    await dbPut(ctx.ami, KEYS.followMeDdial(ctx.extension), wantDdial);
    const blfs = (await ctx.devices()).map((d) => `Custom:FOLLOWME${d}`);
    await setDeviceStates(ctx.ami, blfs, want ? 'BUSY' : 'NOT_INUSE');
    changed = true;
  }
  return changed;
}

/** Adds `<mobile>#` (FreePBX marks external numbers with `#`) to the dash-separated list if absent. */
async function ensureInFollowMeList(ctx: ApplyContext, mobile: string): Promise<boolean> {
  const number = mobile.replace(/[^0-9+*]/g, '');
  if (!number) return false;
  const list = (await dbGet(ctx.ami, KEYS.followMeList(ctx.extension))) ?? '';
  const entries = list.split('-').filter(Boolean);
  if (entries.includes(`${number}#`)) return false;
  await dbPut(ctx.ami, KEYS.followMeList(ctx.extension), [...entries, `${number}#`].join('-'));
  return true;
}

/** External calls: our AstDB flag `PRESENCEBRIDGE/<ext>/external` = allow | deny (absent = allow). */
export async function syncExternalCalls(ctx: ApplyContext, desired: DesiredSettings): Promise<boolean> {
  const want = desired.externalCalls ? 'allow' : 'deny';
  const current = (await dbGet(ctx.ami, KEYS.externalCalls(ctx.extension))) ?? 'allow';
  if (current === want) return false;
  await dbPut(ctx.ami, KEYS.externalCalls(ctx.extension), want);
  return true;
}
