/**
 * Everything one apply() needs about its extension: the AMI port, the extension's remembered facts (fact-cache.ts),
 * the FreePBX display name (which also proves the extension exists), member interfaces and the devices.
 */
import { PbxError, type PbxTarget } from '../pbx.js';
import { dbGet, KEYS, type AmiPort } from './astdb.js';
import type { ExtensionFacts, FactKey, FactTypes } from './fact-cache.js';
import { fillTemplate, type FreepbxAdapterOptions } from './options.js';

export interface ApplyContext {
  ami: AmiPort;
  target: PbxTarget;
  extension: string;
  /** What is known of this extension: read through it, write through {@link ApplyContext.write}. */
  facts: ExtensionFacts;
  /** FreePBX caller-id name, used as queue MemberName. */
  displayName: string;
  memberInterface: string;
  stateInterface: string;
  /** Device ids of the extension (AMPUSER/<ext>/device). */
  devices(): Promise<string[]>;
  /** Sends a write that sets `key` to `value`: remembered before sending, forgotten if the write fails. */
  write<K extends FactKey>(key: K, value: FactTypes[K], send: () => Promise<void>): Promise<void>;
}

type Templates = Pick<FreepbxAdapterOptions, 'memberInterfaceTemplate' | 'stateInterfaceTemplate'>;

/** Dial-plan-safe names only: they end up in AMI headers, AstDB keys and interface names. */
const SAFE_NAME = /^[A-Za-z0-9_.*#+-]{1,64}$/;

/** Builds the context, or throws PBX_UNKNOWN_EXTENSION / PBX_UNKNOWN_VALUE (permanent). */
export async function loadApplyContext(
  ami: AmiPort,
  target: PbxTarget,
  templates: Templates,
  facts: ExtensionFacts,
): Promise<ApplyContext> {
  const extension = target.extension;
  if (!SAFE_NAME.test(extension)) throw unknownExtension(extension, 'is not a valid extension');
  const badQueue = target.queues.find((q) => !SAFE_NAME.test(q));
  if (badQueue !== undefined) {
    throw new PbxError('PBX_UNKNOWN_VALUE', `queue "${badQueue}" is not a valid queue name`, {
      field: 'queues',
    });
  }
  // The devices are read with the name (pipelined, no extra round trip): most status changes need them, and once
  // remembered a change then costs no read at all.
  const devices = facts.read('devices', () => readDevices(ami, extension));
  devices.catch(() => undefined); // awaited by the settings that need it; a failure there is theirs
  const cidName = await facts.read(
    'cidName',
    async () => (await dbGet(ami, KEYS.cidName(extension))) ?? null,
  );
  if (cidName === null) {
    facts.forget('cidName'); // a missing extension may be created any time: ask again next time
    throw unknownExtension(extension, 'does not exist on FreePBX (no AMPUSER entry)');
  }
  return {
    ami,
    target,
    extension,
    facts,
    displayName: cidName || extension,
    memberInterface: fillTemplate(templates.memberInterfaceTemplate, extension),
    stateInterface: fillTemplate(templates.stateInterfaceTemplate, extension),
    devices: () => devices,
    write: async (key, value, send) => {
      facts.expect(key, value);
      try {
        await send();
      } catch (err) {
        facts.forget(key);
        throw err;
      }
    },
  };
}

async function readDevices(ami: AmiPort, extension: string): Promise<string[]> {
  const value = (await dbGet(ami, KEYS.devices(extension))) ?? '';
  return value.split('&').filter((dev) => SAFE_NAME.test(dev));
}

function unknownExtension(extension: string, why: string): PbxError {
  return new PbxError('PBX_UNKNOWN_EXTENSION', `extension "${extension}" ${why}`, { extension });
}
