/**
 * What the adapter remembers about each extension between apply() calls, so a status change costs only the writes
 * that differ instead of a read of every setting first (issue 15: ~8 of ~15 AMI actions per sync were reads).
 *
 * Two kinds of fact, kept alike:
 * - configuration, which no status change touches: caller-id name, devices, `qnostate`, queue penalties, the Follow Me
 *   list; FreePBX changes them only in its GUI, which ends with a reload (`Reload` event);
 * - applied state, the last value read from or successfully written to the PBX: DND (AstDB and device state),
 *   presence, Follow Me `ddial`, our external-calls flag, queue membership and pause per queue.
 *
 * How a fact stops being trusted:
 * - {@link FactCache.clear}: every (re)login and logout of the AMI link (events may have been missed), an Asterisk
 *   restart, and any `Reload` (FreePBX "Apply Config" rewrites configuration and AstDB);
 * - {@link FactCache.forgetExtension}: a verifying apply (reconcile, reverting a phone-side change) reads everything
 *   from the PBX again;
 * - {@link FactCache.observe}: an event about a fact that does not confirm the remembered value (a phone toggling DND
 *   with *76, a member added or paused by *45 or by app_queue, a presence set elsewhere) forgets it; our own writes'
 *   echoes confirm it and keep it.
 * A write records its value before it is sent ({@link ExtensionFacts.expect}), so its echo (which may arrive before
 * the response) confirms it; a failed or uncertain write forgets it. A read that raced with a forget is not stored.
 *
 * Not observable and so only repaired by the next verifying apply: AstDB edits without a reload (CLI `database put`,
 * other AMI clients), `QueueReload`/CLI `queue reload` (no event), and an event lost in flight.
 */
import { eventName, field, type AmiMessage } from './ami-message.js';
import { DND_BY_DEVICE_STATE, IGNORED, PAUSED_BY_FLAG, templatePattern } from './event-map.js';

/** What QueueStatus says about our member in one queue (null: not a member). */
export interface MemberState {
  paused: boolean;
  reason: string;
  /** `Membership: dynamic`; static (queues.conf) and realtime members answer QueueRemove "Member not dynamic". */
  removable: boolean;
}

/** Fact names and the type each holds. Queue facts are per queue: `member:<queue>`, `penalty:<queue>`. */
export interface FactTypes {
  /** AMPUSER/<ext>/cidname; null: the extension does not exist. */
  cidName: string | null;
  devices: string[];
  queueNoState: boolean;
  followMeList: string;
  dndStored: boolean;
  /** Custom:DND<ext> device state says DND. */
  dndState: boolean;
  presence: { state: string; message: string };
  /** AMPUSER/<ext>/followme/ddial; null: Follow Me not set up. */
  ddial: string | null;
  external: string;
  [member: `member:${string}`]: MemberState | null;
  [penalty: `penalty:${string}`]: string;
}
export type FactKey = keyof FactTypes & string;

class Entry {
  readonly values = new Map<string, unknown>();
  /** Bumped per key on every forget, so a read that was in flight then is not stored (made on first forget). */
  private epochs: Map<string, number> | null = null;

  epoch(key: string): number {
    return this.epochs?.get(key) ?? 0;
  }

  forget(key: string): void {
    this.values.delete(key);
    this.epochs ??= new Map();
    this.epochs.set(key, this.epoch(key) + 1);
  }
}

/** One extension's facts, as apply() uses them. */
export interface ExtensionFacts {
  /** The remembered value, or `load()`'s (remembered unless the fact was forgotten meanwhile). */
  read<K extends FactKey>(key: K, load: () => Promise<FactTypes[K]>): Promise<FactTypes[K]>;
  /** Records the value a write is about to set (before sending it: its echo may come before the response). */
  expect<K extends FactKey>(key: K, value: FactTypes[K]): void;
  forget(key: FactKey): void;
}

const DND_DEVICE = /^Custom:DND(.+)$/i;
const FOLLOWME_DEVICE = /^Custom:FOLLOWME(.+)$/i;
const CUSTOM_PRESENCE = /^CustomPresence:(.+)$/i;
const MEMBER_EVENTS = new Set([
  'queuememberadded',
  'queuememberremoved',
  'queuememberpause',
  'queuememberstatus',
  'queuememberpenalty',
]);

export class FactCache {
  private entries = new Map<string, Entry>();
  /** device → extensions that have it (for Custom:FOLLOWME<device> events). */
  private owners = new Map<string, Set<string>>();
  private readonly memberPattern: RegExp;

  constructor(memberInterfaceTemplate: string) {
    this.memberPattern = templatePattern(memberInterfaceTemplate);
  }

  forExtension(extension: string): ExtensionFacts {
    let entry = this.entries.get(extension);
    if (!entry) this.entries.set(extension, (entry = new Entry()));
    const found = entry;
    return {
      read: async (key, load) => {
        if (found.values.has(key)) return found.values.get(key) as never;
        const epoch = found.epoch(key);
        const value = await load();
        if (found.epoch(key) === epoch) this.store(extension, found, key, value);
        return value;
      },
      expect: (key, value) => this.store(extension, found, key, value),
      forget: (key) => found.forget(key),
    };
  }

  /** Forgets everything about one extension (a verifying apply). What is still in flight for it is not stored. */
  forgetExtension(extension: string): void {
    this.entries.delete(extension);
  }

  /** Forgets everything (reconnect, restart, reload). */
  clear(): void {
    this.entries = new Map();
    this.owners = new Map();
  }

  /** Number of extensions with remembered facts (tests, metrics). */
  get size(): number {
    return this.entries.size;
  }

  /** Lets one AMI event confirm or forget remembered facts. */
  observe(msg: AmiMessage): void {
    const name = eventName(msg);
    if (name === 'devicestatechange') return this.deviceState(field(msg, 'device'), field(msg, 'state'));
    if (name === 'presencestatechange') return this.presenceState(msg);
    if (MEMBER_EVENTS.has(name)) return this.member(name, msg);
    if (name === 'reload') return this.clear();
  }

  private store(extension: string, entry: Entry, key: string, value: unknown): void {
    if (this.entries.get(extension) !== entry) return; // forgotten meanwhile: the entry is an orphan
    entry.values.set(key, value);
    if (key === 'devices') for (const dev of value as string[]) this.ownersOf(dev).add(extension);
  }

  private ownersOf(device: string): Set<string> {
    let set = this.owners.get(device);
    if (!set) this.owners.set(device, (set = new Set()));
    return set;
  }

  private deviceState(device: string, state: string): void {
    if (!device.startsWith('Custom:') && !device.startsWith('custom:')) return; // phones' own states: not ours
    const dndExt = DND_DEVICE.exec(device)?.[1];
    if (dndExt !== undefined) {
      const entry = this.entries.get(dndExt);
      const dnd = DND_BY_DEVICE_STATE[state.toUpperCase()];
      if (!entry || (dnd !== IGNORED && dnd !== undefined && entry.values.get('dndState') === dnd)) return;
      entry.forget('dndState');
      entry.forget('dndStored'); // *76 writes both
      return;
    }
    const fmDevice = FOLLOWME_DEVICE.exec(device)?.[1];
    if (fmDevice === undefined) return;
    const on = state.toUpperCase() === 'BUSY'; // FreePBX: BUSY = DIRECT, NOT_INUSE = EXTENSION
    for (const ext of new Set([fmDevice, ...(this.owners.get(fmDevice) ?? [])])) {
      const entry = this.entries.get(ext);
      const ddial = entry?.values.get('ddial');
      if (entry && !(typeof ddial === 'string' && (ddial === 'DIRECT') === on)) entry.forget('ddial');
    }
  }

  private presenceState(msg: AmiMessage): void {
    const ext = CUSTOM_PRESENCE.exec(field(msg, 'presentity'))?.[1];
    const entry = ext === undefined ? undefined : this.entries.get(ext);
    if (!entry) return;
    const known = entry.values.get('presence') as FactTypes['presence'] | undefined;
    const state = field(msg, 'status').toLowerCase();
    if (known && known.state === state && known.message === field(msg, 'message')) return;
    entry.forget('presence');
  }

  private member(name: string, msg: AmiMessage): void {
    const ext = this.memberPattern.exec(field(msg, 'interface'))?.[1];
    const entry = ext === undefined ? undefined : this.entries.get(ext);
    if (!entry) return;
    const queue = field(msg, 'queue');
    if (name === 'queuememberpenalty') return entry.forget(`penalty:${queue}`);
    const key = `member:${queue}`;
    const seen = name === 'queuememberremoved' ? null : memberOf(msg);
    // not remembered: forgetting still tells a read in flight not to store what it got
    if (!entry.values.has(key) || !sameMember(entry.values.get(key) as MemberState | null, seen))
      entry.forget(key);
  }
}

/** The member as a QueueMember* event shows it; undefined when the event does not say (then it is forgotten). */
function memberOf(msg: AmiMessage): MemberState | undefined {
  const paused = PAUSED_BY_FLAG[field(msg, 'paused')];
  if (paused === undefined) return undefined;
  const membership = field(msg, 'membership').toLowerCase();
  return {
    paused,
    reason: paused ? field(msg, 'pausedreason') : '',
    removable: membership === '' || membership === 'dynamic',
  };
}

function sameMember(known: MemberState | null, seen: MemberState | null | undefined): boolean {
  if (seen === undefined) return false;
  if (known === null || seen === null) return known === seen;
  return (
    known.paused === seen.paused &&
    known.removable === seen.removable &&
    (!known.paused || known.reason === seen.reason)
  );
}
