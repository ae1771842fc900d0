/**
 * Everything one apply() needs about its extension, read once: the AMI port, the FreePBX display name
 * (which also proves the extension exists), member interfaces and, lazily, the extension's devices.
 */
import { PbxError, type PbxTarget } from '../pbx.js';
import { dbGet, KEYS, type AmiPort } from './astdb.js';
import { fillTemplate, type FreepbxAdapterOptions } from './options.js';

export interface ApplyContext {
  ami: AmiPort;
  target: PbxTarget;
  extension: string;
  /** FreePBX caller-id name, used as queue MemberName. */
  displayName: string;
  memberInterface: string;
  stateInterface: string;
  /** Device ids of the extension (AMPUSER/<ext>/device), read on first use. */
  devices(): Promise<string[]>;
}

type Templates = Pick<FreepbxAdapterOptions, 'memberInterfaceTemplate' | 'stateInterfaceTemplate'>;

/** Dial-plan-safe names only: they end up in AMI headers, AstDB keys and interface names. */
const SAFE_NAME = /^[A-Za-z0-9_.*#+-]{1,64}$/;

/** Builds the context, or throws PBX_UNKNOWN_EXTENSION / PBX_UNKNOWN_VALUE (permanent). */
export async function loadApplyContext(
  ami: AmiPort,
  target: PbxTarget,
  templates: Templates,
): Promise<ApplyContext> {
  const extension = target.extension;
  if (!SAFE_NAME.test(extension)) throw unknownExtension(extension, 'is not a valid extension');
  const badQueue = target.queues.find((q) => !SAFE_NAME.test(q));
  if (badQueue !== undefined) {
    throw new PbxError('PBX_UNKNOWN_VALUE', `queue "${badQueue}" is not a valid queue name`, {
      field: 'queues',
    });
  }
  const cidName = await dbGet(ami, KEYS.cidName(extension));
  if (cidName === undefined)
    throw unknownExtension(extension, 'does not exist on FreePBX (no AMPUSER entry)');
  let devices: Promise<string[]> | undefined;
  return {
    ami,
    target,
    extension,
    displayName: cidName || extension,
    memberInterface: fillTemplate(templates.memberInterfaceTemplate, extension),
    stateInterface: fillTemplate(templates.stateInterfaceTemplate, extension),
    devices: () => (devices ??= readDevices(ami, extension)),
  };
}

async function readDevices(ami: AmiPort, extension: string): Promise<string[]> {
  const value = (await dbGet(ami, KEYS.devices(extension))) ?? '';
  return value.split('&').filter((dev) => SAFE_NAME.test(dev));
}

function unknownExtension(extension: string, why: string): PbxError {
  return new PbxError('PBX_UNKNOWN_EXTENSION', `extension "${extension}" ${why}`, { extension });
}
