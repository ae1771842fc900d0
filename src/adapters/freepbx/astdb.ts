/**
 * Read/write primitives over AMI (AstDB, dialplan functions) and the FreePBX AstDB key layout.
 *
 * Key names are FreePBX conventions (reference §4–§7) and live here only. Our own flag for external
 * calls uses the family PRESENCEBRIDGE, read by config/freepbx/extensions_custom.conf.
 */
import { errorSays, requireSuccess, toPbxError } from './ami-errors.js';
import type { ListResult } from './ami-connection.js';
import { eventName, field, isSuccess, type AmiAction, type AmiMessage } from './ami-message.js';
import { allSettled } from './pipeline.js';

/** What the settings code needs from the session. */
export interface AmiPort {
  send(action: AmiAction): Promise<AmiMessage>;
  list(action: AmiAction, completeEvent: string): Promise<ListResult>;
}

export interface DbKey {
  family: string;
  key: string;
}

/** FreePBX AstDB keys (family/key), one function per fact. */
export const KEYS = {
  /** Exists for every extension (reference: "unknown extension: AMPUSER/<ext>/cidname missing"). */
  cidName: (ext: string): DbKey => ({ family: 'AMPUSER', key: `${ext}/cidname` }),
  /** `&`-separated device ids of the extension. */
  devices: (ext: string): DbKey => ({ family: 'AMPUSER', key: `${ext}/device` }),
  dnd: (ext: string): DbKey => ({ family: 'DND', key: ext }),
  /** Follow Me on/off: DIRECT / EXTENSION; absent = Follow Me not set up for the extension. */
  followMeDdial: (ext: string): DbKey => ({ family: 'AMPUSER', key: `${ext}/followme/ddial` }),
  followMeList: (ext: string): DbKey => ({ family: 'AMPUSER', key: `${ext}/followme/grplist` }),
  queuePenalty: (queue: string, ext: string): DbKey => ({
    family: 'QPENALTY',
    key: `${queue}/agents/${ext}`,
  }),
  /** `ignorestate`: FreePBX adds the member without a state interface. */
  queueNoState: (ext: string): DbKey => ({ family: 'AMPUSER', key: `${ext}/queues/qnostate` }),
  /** Ours: `allow` | `deny`, absent = allow. */
  externalCalls: (ext: string): DbKey => ({ family: 'PRESENCEBRIDGE', key: `${ext}/external` }),
};

/** AstDB value, or undefined when the key does not exist. */
export async function dbGet(ami: AmiPort, { family, key }: DbKey): Promise<string | undefined> {
  const { response, items } = await ami.list({ Action: 'DBGet', Family: family, Key: key }, 'DBGetComplete');
  if (!isSuccess(response)) {
    if (errorSays(response, 'not found')) return undefined;
    throw toPbxError(response, `DBGet ${family}/${key}`);
  }
  const hit = items.find((item) => eventName(item) === 'dbgetresponse');
  return hit ? field(hit, 'val') : undefined;
}

export async function dbPut(ami: AmiPort, { family, key }: DbKey, value: string): Promise<void> {
  const res = await ami.send({ Action: 'DBPut', Family: family, Key: key, Val: value });
  requireSuccess(res, `DBPut ${family}/${key}`);
}

/** Deletes a key; a key that is already gone is fine. */
export async function dbDel(ami: AmiPort, { family, key }: DbKey): Promise<void> {
  const res = await ami.send({ Action: 'DBDel', Family: family, Key: key });
  requireSuccess(res, `DBDel ${family}/${key}`, ['not found', 'does not exist']);
}

/** Reads a global variable or a dialplan function such as DEVICE_STATE(Custom:DND1001). */
export async function getvar(ami: AmiPort, variable: string): Promise<string> {
  const res = await ami.send({ Action: 'Getvar', Variable: variable });
  return field(requireSuccess(res, `Getvar ${variable}`), 'value');
}

/** Setvar without Channel: a global write, as FreePBX's `set_global` does (reference §4). */
export async function setvar(ami: AmiPort, variable: string, value: string): Promise<void> {
  const res = await ami.send({ Action: 'Setvar', Variable: variable, Value: value });
  requireSuccess(res, `Setvar ${variable}`);
}

/** Sets `DEVICE_STATE(<device>)` for each device, all in flight together. */
export async function setDeviceStates(ami: AmiPort, devices: string[], state: string): Promise<void> {
  await allSettled(devices.map((device) => setvar(ami, `DEVICE_STATE(${device})`, state)));
}
