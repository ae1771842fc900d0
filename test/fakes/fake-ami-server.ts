/**
 * A fake Asterisk Manager Interface speaking the real wire protocol over TCP (reference
 * /work/shared/reference/freepbx-ami.md §1, §4, §5, §9): banner, Login (success / "Authentication
 * failed" after an optional delay, then the session is closed), ActionID echo, `Response: Success|Error`
 * with `Message`, list actions (`EventList: start` … items with ActionID … `<Name>Complete` +
 * `EventList: Complete` + `ListItems`), Ping/Pong, Events (per-session class mask), an in-memory AstDB,
 * queues, DEVICE_STATE / PRESENCE_STATE via Setvar/Getvar, PresenceState, channels with scripted
 * Newchannel/Newstate/Hangup, DialBegin/DialEnd, BridgeEnter/BridgeLeave and the queue's Agent* events (field
 * names and order as main/manager_channels.c, manager_bridges.c and apps/app_queue.c build them; whole call
 * scripts in ami-calls.ts) and CoreShowChannels, FullyBooted with Uptime after login.
 *
 * Fault injection: drop every connection, stall (read and answer nothing: a half-open link), refuse
 * connections, restart (new Uptime, channels gone, AstDB kept) and raw/malformed frames.
 * Every action received is recorded (header names lower-cased) for exact-action assertions.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../harness/redis-server.js';

export type Headers = Record<string, string>;

export interface RecordedAction {
  session: number;
  /** Value of the Action header as sent. */
  name: string;
  /** All headers, names lower-cased (the client may send `Stateinterface`; AMI ignores case). */
  headers: Headers;
}

export interface FakeMember {
  queue: string;
  interface: string;
  stateInterface: string;
  name: string;
  penalty: string;
  paused: boolean;
  reason: string;
  dynamic: boolean;
}

export interface FakeChannel {
  channel: string;
  uniqueid: string;
  linkedid: string;
  /** ChannelState number (ast_state2str); default 6 (Up). */
  state?: string;
  callerIdNum?: string;
  callerIdName?: string;
  connectedLineNum?: string;
  connectedLineName?: string;
  context?: string;
  exten?: string;
  /** CoreShowChannel's Application / ApplicationData (default AppDial / (Outgoing Line)). */
  application?: string;
  applicationData?: string;
  /** The bridge it is in (CoreShowChannel BridgeId), set by bridgeEnter(). */
  bridgeId?: string;
}

/** ast_state2str (main/channel.c). */
const STATE_DESC: Record<string, string> = {
  '0': 'Down',
  '1': 'Rsrvd',
  '2': 'OffHook',
  '3': 'Dialing',
  '4': 'Ring',
  '5': 'Ringing',
  '6': 'Up',
  '7': 'Busy',
  '8': 'Dialing Offhook',
  '9': 'Pre-ring',
  '10': 'Mute',
};

export interface FakeAmiOptions {
  username?: string;
  secret?: string;
  /** Delay before answering a failed Login (Asterisk: 1 s). Default 0 for fast tests. */
  loginFailDelayMs?: number;
  uptimeSeconds?: number;
  /**
   * Whether QueueAdd honours `Reason` (Asterisk 20.12, 21.7, 22.2, 23 and later: app_queue commit "allow dynamically
   * adding a queue member in paused state"). Older versions add the member paused with no reason. Default true.
   */
  queueAddReason?: boolean;
}

/** Actions that change PBX state; "apply twice sends no writes" counts these. */
export const WRITE_ACTIONS = new Set([
  'dbput',
  'dbdel',
  'dbdeltree',
  'setvar',
  'queueadd',
  'queueremove',
  'queuepause',
]);

const EVENT_CLASS: Record<string, string> = {
  newchannel: 'call',
  newstate: 'call',
  hangup: 'call',
  dialbegin: 'call',
  dialstate: 'call',
  dialend: 'call',
  bridgeenter: 'call',
  bridgeleave: 'call',
  agentcalled: 'agent',
  agentringnoanswer: 'agent',
  agentconnect: 'agent',
  agentcomplete: 'agent',
  agentdump: 'agent',
  devicestatechange: 'call',
  presencestatechange: 'call',
  queuememberadded: 'agent',
  queuememberremoved: 'agent',
  queuememberpause: 'agent',
  fullybooted: 'system',
  reload: 'system',
  userevent: 'user',
};
const ALL_CLASSES = [
  'system',
  'call',
  'log',
  'verbose',
  'command',
  'agent',
  'user',
  'config',
  'dtmf',
  'reporting',
  'cdr',
  'dialplan',
  'originate',
];
const PRESENCE_STATES = new Set(['not_set', 'unavailable', 'available', 'away', 'xa', 'chat', 'dnd']);

class FakeSession {
  authed = false;
  classes = new Set<string>(ALL_CLASSES);
  buffered = '';
  lines: string[] = [];
  constructor(
    readonly id: number,
    readonly socket: Socket,
  ) {}

  write(headers: Array<[string, string]>): void {
    if (this.socket.destroyed) return;
    this.socket.write(headers.map(([k, v]) => `${k}: ${v}`).join('\r\n') + '\r\n\r\n');
  }
}

export class FakeAmiServer {
  port = 0;
  readonly actions: RecordedAction[] = [];
  /** AstDB: "Family/Key" → value. */
  readonly db = new Map<string, string>();
  readonly queues = new Map<string, FakeMember[]>();
  readonly deviceStates = new Map<string, string>();
  readonly presence = new Map<string, { state: string; subtype: string; message: string }>();
  readonly globals = new Map<string, string>();
  readonly channels = new Map<string, FakeChannel>();
  uptimeSeconds: number;
  connections = 0;
  loginAttempts = 0;
  stalled = false;
  /** Actions (lower-case names) recorded but never answered: a PBX that "forgets" to reply. */
  readonly ignoredActions = new Set<string>();
  /** Write actions received while writes are held: answered (and carried out) by releaseWrites(). */
  private heldWrites: Array<() => void> | null = null;
  /** Hide members from QueueStatus (simulates a race: the client then gets "Already there"). */
  hideMembersInQueueStatus = false;
  /** Leave `Membership` out of QueueStatus items (the client must then learn "static" from QueueRemove's answer). */
  hideMembership = false;
  username: string;
  secret: string;
  loginFailDelayMs: number;
  queueAddReason: boolean;
  private server: Server | null = null;
  private readonly sessions = new Set<FakeSession>();
  private sessionSeq = 0;

  constructor(options: FakeAmiOptions = {}) {
    this.username = options.username ?? 'bridge';
    this.secret = options.secret ?? 'secret';
    this.loginFailDelayMs = options.loginFailDelayMs ?? 0;
    this.uptimeSeconds = options.uptimeSeconds ?? 86_400;
    this.queueAddReason = options.queueAddReason ?? true;
  }

  // ---------------------------------------------------------------- lifecycle and faults

  async start(): Promise<this> {
    if (!this.port) this.port = await freePort();
    await this.listen();
    return this;
  }

  async stop(): Promise<void> {
    this.dropAll();
    await this.closeListener();
  }

  /** Stops accepting (connects get ECONNREFUSED) and drops current sessions. */
  async refuse(): Promise<void> {
    await this.stop();
  }

  /** Accepts again on the same port. */
  async accept(): Promise<void> {
    await this.listen();
  }

  /** Destroys every client connection (the TCP link "drops"). */
  dropAll(): void {
    for (const s of this.sessions) s.socket.destroy();
    this.sessions.clear();
  }

  /**
   * A slow PBX: from now on write actions are recorded but neither carried out nor answered (reads still are) until
   * releaseWrites(), which does both in the order received.
   */
  holdWrites(): void {
    this.heldWrites ??= [];
  }

  /** Write actions waiting for releaseWrites(). */
  get heldWriteCount(): number {
    return this.heldWrites?.length ?? 0;
  }

  releaseWrites(): void {
    const held = this.heldWrites ?? [];
    this.heldWrites = null;
    for (const run of held) run();
  }

  /** Stops answering: input is read and discarded, nothing is sent. */
  stall(on = true): void {
    this.stalled = on;
  }

  /**
   * Asterisk restart: links drop, calls are gone, AstDB stays. Dynamic members come back from AstDB
   * (persistentmembers=yes: pause and reason kept); static members come back from queues.conf, unpaused.
   */
  restart(uptimeSeconds: number): void {
    this.dropAll();
    this.channels.clear();
    this.uptimeSeconds = uptimeSeconds;
    for (const m of this.allMembers()) if (!m.dynamic) Object.assign(m, { paused: false, reason: '' });
  }

  /**
   * `module reload app_queue.so` (or a full reload, module "All"): app_queue re-reads queues.conf; a static member
   * keeps its paused flag but loses its reason (reload_single_member builds a new member with cur->paused only).
   * Asterisk then sends `Reload` (main/loader.c publish_reload_message) with Module and a numeric Status.
   */
  reloadQueues(module = 'app_queue.so'): void {
    for (const m of this.allMembers()) if (!m.dynamic) m.reason = '';
    this.emitEvent('Reload', [
      ['Module', module],
      ['Status', '0'],
    ]);
  }

  private allMembers(): FakeMember[] {
    return [...this.queues.values()].flat();
  }

  get authenticatedSessions(): number {
    return [...this.sessions].filter((s) => s.authed).length;
  }

  // ---------------------------------------------------------------- scripting

  /** Writes raw bytes to every logged-in session (malformed frames). */
  sendRaw(text: string): void {
    for (const s of this.sessions) if (s.authed && !s.socket.destroyed) s.socket.write(text);
  }

  /** Sends an async event to every logged-in session whose mask includes the event's class. */
  emitEvent(name: string, fields: Array<[string, string]>): void {
    if (this.stalled) return;
    const cls = EVENT_CLASS[name.toLowerCase()] ?? 'user';
    for (const s of this.sessions) {
      if (!s.authed || !s.classes.has(cls)) continue;
      s.write([['Event', name], ['Privilege', `${cls},all`], ...fields]);
    }
  }

  /** Ids of the logged-in sessions (one per connected client). */
  authedSessionIds(): number[] {
    return [...this.sessions].filter((s) => s.authed).map((s) => s.id);
  }

  /** Sends an event to one session only (e.g. to the old holder of a connection, and nobody else). */
  emitEventTo(sessionId: number, name: string, fields: Array<[string, string]>): void {
    const cls = EVENT_CLASS[name.toLowerCase()] ?? 'user';
    for (const s of this.sessions) {
      if (s.id === sessionId && s.authed) s.write([['Event', name], ['Privilege', `${cls},all`], ...fields]);
    }
  }

  startChannel(channel: FakeChannel): void {
    this.channels.set(channel.uniqueid, channel);
    this.emitEvent('Newchannel', channelFields(channel));
  }

  /** Hangup event; the channel is removed if known (a fake can also hang up unknown ones). */
  hangupChannel(
    uniqueid: string,
    channel?: FakeChannel,
    cause: [code: string, text: string] = ['16', 'Normal Clearing'],
  ): void {
    const known = this.channels.get(uniqueid) ?? channel;
    this.channels.delete(uniqueid);
    if (!known) throw new Error(`unknown channel ${uniqueid}`);
    this.emitEvent('Hangup', [...channelFields(known), ['Cause', cause[0]], ['Cause-txt', cause[1]]]);
  }

  /** Newstate: the channel's state changed (the phone rings: 5, it answered: 6). */
  setChannelState(uniqueid: string, state: string): void {
    const channel = this.channels.get(uniqueid);
    if (!channel) throw new Error(`unknown channel ${uniqueid}`);
    channel.state = state;
    this.emitEvent('Newstate', channelFields(channel));
  }

  /** DialBegin: `caller` (null for an Originate) starts dialling `dest` (channel_dial_cb). */
  dialBegin(caller: FakeChannel | null, dest: FakeChannel, dialString: string): void {
    this.emitEvent('DialBegin', [...dialParties(caller, dest), ['DialString', dialString]]);
  }

  /** DialEnd with DialStatus ANSWER, NOANSWER, CANCEL, BUSY, CHANUNAVAIL, … */
  dialEnd(caller: FakeChannel | null, dest: FakeChannel, dialStatus: string): void {
    this.emitEvent('DialEnd', [...dialParties(caller, dest), ['DialStatus', dialStatus]]);
  }

  /** BridgeEnter (channel_enter_cb: bridge snapshot, then the channel's); the bridge has `members` channels. */
  bridgeEnter(bridgeId: string, channel: FakeChannel, members: number): void {
    channel.bridgeId = bridgeId;
    this.emitEvent('BridgeEnter', [...bridgeFields(bridgeId, members), ...channelFields(channel)]);
  }

  bridgeLeave(bridgeId: string, channel: FakeChannel, members: number): void {
    delete channel.bridgeId;
    this.emitEvent('BridgeLeave', [...bridgeFields(bridgeId, members), ...channelFields(channel)]);
  }

  /**
   * A queue event (queue_multi_channel_to_ami): the caller's snapshot, the member leg's as Dest…, then the
   * blob (Queue, Interface, MemberName, and RingTime / HoldTime / TalkTime / Reason where the event has them).
   */
  agentEvent(name: string, caller: FakeChannel, member: FakeChannel, blob: Array<[string, string]>): void {
    this.emitEvent(name, [...channelFields(caller), ...channelFields(member, 'Dest'), ...blob]);
  }

  fullyBooted(uptimeSeconds = this.uptimeSeconds): void {
    this.emitEvent('FullyBooted', bootFields(uptimeSeconds));
  }

  addQueue(queue: string, members: Array<Partial<FakeMember> & { interface: string }> = []): void {
    this.queues.set(
      queue,
      members.map((m) => ({
        queue,
        stateInterface: '',
        name: m.interface,
        penalty: '0',
        paused: false,
        reason: '',
        dynamic: true,
        ...m,
      })),
    );
  }

  /** Members app_queue would ring for a new caller: the unpaused ones (paused members are skipped). */
  ringableMembers(queue: string): FakeMember[] {
    return (this.queues.get(queue) ?? []).filter((m) => !m.paused);
  }

  member(queue: string, iface: string): FakeMember | undefined {
    return this.queues.get(queue)?.find((m) => m.interface.toLowerCase() === iface.toLowerCase());
  }

  actionsNamed(name: string): RecordedAction[] {
    return this.actions.filter((a) => a.name.toLowerCase() === name.toLowerCase());
  }

  writes(): RecordedAction[] {
    return this.actions.filter((a) => WRITE_ACTIONS.has(a.name.toLowerCase()));
  }

  clearActions(): void {
    this.actions.length = 0;
  }

  // ---------------------------------------------------------------- wire

  private listen(): Promise<void> {
    if (this.server) return Promise.resolve();
    const server = createServer((socket) => this.onConnection(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  private closeListener(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private onConnection(socket: Socket): void {
    this.connections += 1;
    const session = new FakeSession(++this.sessionSeq, socket);
    this.sessions.add(session);
    socket.setEncoding('utf8');
    socket.setNoDelay(true); // as Asterisk does (manager.c session_do); otherwise Nagle adds ~40 ms per reply
    socket.on('error', () => undefined);
    socket.on('close', () => this.sessions.delete(session));
    socket.on('data', (chunk: string) => this.onData(session, chunk));
    if (!this.stalled) socket.write('Asterisk Call Manager/9.0.0\r\n');
  }

  private onData(session: FakeSession, chunk: string): void {
    if (this.stalled) return;
    session.buffered += chunk;
    const parts = session.buffered.split(/\r?\n/);
    session.buffered = parts.pop() ?? '';
    for (const line of parts) {
      if (line !== '') session.lines.push(line);
      else if (session.lines.length) this.onAction(session, parseHeaders(session.lines.splice(0)));
    }
  }

  private onAction(session: FakeSession, headers: Headers): void {
    const name = headers.action ?? '';
    this.actions.push({ session: session.id, name, headers });
    const reply = (list: Array<[string, string]>): void => session.write(withActionId(headers, list));
    if (!name)
      return reply([
        ['Response', 'Error'],
        ['Message', 'Missing action in request'],
      ]);
    const lower = name.toLowerCase();
    if (this.ignoredActions.has(lower)) return;
    if (!session.authed && !['login', 'logoff', 'challenge'].includes(lower))
      return reply(error('Permission denied'));
    const handler = this.handlers[lower];
    if (!handler)
      return reply(
        error(`Invalid/unknown command: ${name}. Use Action: ListCommands to show available commands.`),
      );
    if (this.heldWrites && WRITE_ACTIONS.has(lower)) {
      this.heldWrites.push(() => handler(session, headers, reply));
      return;
    }
    handler(session, headers, reply);
  }

  private readonly handlers: Record<
    string,
    (s: FakeSession, h: Headers, reply: (l: Array<[string, string]>) => void) => void
  > = {
    login: (s, h, reply) => this.login(s, h, reply),
    logoff: (s, _h, reply) => {
      reply([
        ['Response', 'Goodbye'],
        ['Message', 'Thanks for all the fish.'],
      ]);
      s.socket.end();
    },
    ping: (_s, _h, reply) =>
      reply([...ok(), ['Ping', 'Pong'], ['Timestamp', (Date.now() / 1000).toFixed(6)]]),
    events: (s, h, reply) => {
      s.classes = parseMask(h.eventmask ?? '');
      reply([
        ['Response', 'Success'],
        ['Events', s.classes.size ? 'On' : 'Off'],
      ]);
    },
    dbget: (s, h, reply) => this.dbGet(s, h, reply),
    dbput: (_s, h, reply) => {
      if (!h.family) return reply(error('No family specified'));
      if (!h.key) return reply(error('No key specified'));
      this.db.set(`${h.family}/${h.key}`, h.val ?? '');
      reply(ok('Updated database successfully'));
    },
    dbdel: (_s, h, reply) => {
      if (!this.db.delete(`${h.family}/${h.key}`)) return reply(error('Database entry not found'));
      reply(ok('Key deleted successfully'));
    },
    dbdeltree: (_s, h, reply) => {
      const prefix = h.key ? `${h.family}/${h.key}` : `${h.family}/`;
      for (const k of [...this.db.keys()]) if (k.startsWith(prefix)) this.db.delete(k);
      reply(ok('Key tree deleted successfully'));
    },
    setvar: (_s, h, reply) => reply(this.setvar(h.variable ?? '', h.value ?? '')),
    getvar: (_s, h, reply) =>
      reply([...ok(), ['Variable', h.variable ?? ''], ['Value', this.getvar(h.variable ?? '')]]),
    presencestate: (_s, h, reply) => reply(this.presenceState(h.provider ?? '')),
    queueadd: (_s, h, reply) => reply(this.queueAdd(h)),
    queueremove: (_s, h, reply) => reply(this.queueRemove(h)),
    queuepause: (_s, h, reply) => reply(this.queuePause(h)),
    queuestatus: (s, h, reply) => this.queueStatus(s, h, reply),
    coreshowchannels: (s, h, reply) => this.coreShowChannels(s, h, reply),
  };

  private login(s: FakeSession, h: Headers, reply: (l: Array<[string, string]>) => void): void {
    this.loginAttempts += 1;
    if (h.username !== this.username || h.secret !== this.secret) {
      setTimeout(() => {
        reply(error('Authentication failed'));
        s.socket.end();
      }, this.loginFailDelayMs);
      return;
    }
    s.authed = true;
    if (h.events !== undefined) s.classes = parseMask(h.events);
    reply(ok('Authentication accepted'));
    if (s.classes.has('system')) {
      s.write([['Event', 'FullyBooted'], ['Privilege', 'system,all'], ...bootFields(this.uptimeSeconds)]);
    }
  }

  private dbGet(s: FakeSession, h: Headers, reply: (l: Array<[string, string]>) => void): void {
    const value = this.db.get(`${h.family}/${h.key}`);
    if (value === undefined) return reply(error('Database entry not found'));
    reply(listStart('Result will follow'));
    s.write(
      withActionId(h, [
        ['Event', 'DBGetResponse'],
        ['Family', h.family ?? ''],
        ['Key', h.key ?? ''],
        ['Val', value],
      ]),
    );
    s.write(listComplete(h, 'DBGetComplete', 1));
  }

  private setvar(variable: string, value: string): Array<[string, string]> {
    const device = /^DEVICE_STATE\((.+)\)$/i.exec(variable)?.[1];
    const presentity = /^PRESENCE_STATE\((CustomPresence:.+)\)$/i.exec(variable)?.[1];
    if (device) {
      this.deviceStates.set(device, value);
      this.emitEvent('DeviceStateChange', [
        ['Device', device],
        ['State', value],
      ]);
    } else if (presentity) {
      const parsed = parsePresence(value);
      if (!parsed) return error('Failed to set variable');
      this.presence.set(presentity, parsed);
      this.db.set(`CustomPresence/${presentity.slice('CustomPresence:'.length)}`, value);
      this.emitEvent('PresenceStateChange', [
        ['Presentity', presentity],
        ['Status', parsed.state],
        ['Subtype', parsed.subtype],
        ['Message', parsed.message],
      ]);
    } else {
      this.globals.set(variable, value);
    }
    return ok('Variable Set');
  }

  private getvar(variable: string): string {
    const device = /^DEVICE_STATE\((.+)\)$/i.exec(variable)?.[1];
    if (device) return this.deviceStates.get(device) ?? 'UNKNOWN';
    return this.globals.get(variable) ?? '';
  }

  /** As manager.c action_presencestate; PresenceMessage as the reference describes newer versions. */
  private presenceState(provider: string): Array<[string, string]> {
    const p = this.presence.get(provider);
    if (!p) return error(`Invalid provider ${provider} or provider in invalid state`);
    const out: Array<[string, string]> = [...ok('Presence State'), ['State', p.state]];
    if (p.subtype) out.push(['Subtype', p.subtype]);
    if (p.message) out.push(['Message', p.message], ['PresenceMessage', p.message]);
    return out;
  }

  private queueAdd(h: Headers): Array<[string, string]> {
    const members = this.queues.get(h.queue ?? '');
    if (!members) return error('Unable to add interface to queue: No such queue');
    if (this.member(h.queue ?? '', h.interface ?? '')) return error('Unable to add interface: Already there');
    const m: FakeMember = {
      queue: h.queue ?? '',
      interface: h.interface ?? '',
      stateInterface: h.stateinterface ?? '',
      name: h.membername ?? h.interface ?? '',
      penalty: h.penalty ?? '0',
      paused: isTrue(h.paused),
      reason: isTrue(h.paused) && this.queueAddReason ? (h.reason ?? '') : '',
      dynamic: true,
    };
    members.push(m);
    this.emitEvent('QueueMemberAdded', memberFields(m));
    return ok('Added interface to queue');
  }

  private queueRemove(h: Headers): Array<[string, string]> {
    const members = this.queues.get(h.queue ?? '');
    if (!members) return error('Unable to remove interface from queue: No such queue');
    const m = this.member(h.queue ?? '', h.interface ?? '');
    if (!m) return error('Unable to remove interface: Not there');
    if (!m.dynamic) return error('Member not dynamic');
    members.splice(members.indexOf(m), 1);
    this.emitEvent('QueueMemberRemoved', memberFields(m));
    return ok('Removed interface from queue');
  }

  private queuePause(h: Headers): Array<[string, string]> {
    const paused = isTrue(h.paused);
    const targets = [...this.queues.entries()]
      .filter(([q]) => !h.queue || q === h.queue)
      .map(([q]) => this.member(q, h.interface ?? ''))
      .filter((m) => m !== undefined);
    if (!targets.length) return error('Interface not found');
    for (const m of targets) {
      m.paused = paused;
      m.reason = paused ? (h.reason ?? '') : '';
      this.emitEvent('QueueMemberPause', memberFields(m));
    }
    return ok(paused ? 'Interface paused successfully' : 'Interface unpaused successfully');
  }

  private queueStatus(s: FakeSession, h: Headers, reply: (l: Array<[string, string]>) => void): void {
    reply(listStart('Queue status will follow'));
    let count = 0;
    for (const [queue, members] of this.queues) {
      if (h.queue && h.queue !== queue) continue;
      s.write(
        withActionId(h, [
          ['Event', 'QueueParams'],
          ['Queue', queue],
          ['Max', '0'],
          ['Strategy', 'ringall'],
          ['Calls', '0'],
        ]),
      );
      count += 1;
      for (const m of this.hideMembersInQueueStatus ? [] : members) {
        if (h.member && h.member !== m.interface && h.member !== m.name) continue;
        const fields = queueMemberFields(m).filter(([k]) => !(this.hideMembership && k === 'Membership'));
        s.write(withActionId(h, fields));
        count += 1;
      }
    }
    s.write(listComplete(h, 'QueueStatusComplete', count));
  }

  private coreShowChannels(s: FakeSession, h: Headers, reply: (l: Array<[string, string]>) => void): void {
    reply(listStart('Channels will follow'));
    for (const c of this.channels.values()) {
      const extra: Array<[string, string]> = [
        ['Application', c.application ?? 'AppDial'],
        ['ApplicationData', c.applicationData ?? '(Outgoing Line)'],
        ['Duration', '00:03:12'],
        ['BridgeId', c.bridgeId ?? ''],
      ];
      s.write(withActionId(h, [['Event', 'CoreShowChannel'], ...channelFields(c), ...extra]));
    }
    s.write(listComplete(h, 'CoreShowChannelsComplete', this.channels.size));
  }
}

// ------------------------------------------------------------------ frame builders

function parseHeaders(lines: string[]): Headers {
  const headers: Headers = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).replace(/^ /, '');
  }
  return headers;
}

function withActionId(h: Headers, list: Array<[string, string]>): Array<[string, string]> {
  if (h.actionid === undefined) return list;
  const [first, ...rest] = list;
  return first ? [first, ['ActionID', h.actionid], ...rest] : list;
}

function ok(message?: string): Array<[string, string]> {
  return message
    ? [
        ['Response', 'Success'],
        ['Message', message],
      ]
    : [['Response', 'Success']];
}

function error(message: string): Array<[string, string]> {
  return [
    ['Response', 'Error'],
    ['Message', message],
  ];
}

function listStart(message: string): Array<[string, string]> {
  return [
    ['Response', 'Success'],
    ['EventList', 'start'],
    ['Message', message],
  ];
}

function listComplete(h: Headers, name: string, items: number): Array<[string, string]> {
  return withActionId(h, [
    ['Event', name],
    ['EventList', 'Complete'],
    ['ListItems', String(items)],
  ]);
}

function bootFields(uptimeSeconds: number): Array<[string, string]> {
  return [
    ['Uptime', String(uptimeSeconds)],
    ['LastReload', String(Math.min(uptimeSeconds, 3600))],
    ['Status', 'Fully Booted'],
  ];
}

/** ast_manager_build_channel_state_string_prefix: the snapshot every channel event carries, in its order. */
export function channelFields(c: FakeChannel, prefix = ''): Array<[string, string]> {
  const state = c.state ?? '6';
  const fields: Array<[string, string]> = [
    ['Channel', c.channel],
    ['ChannelState', state],
    ['ChannelStateDesc', STATE_DESC[state] ?? `Unknown (${state})`],
    ['CallerIDNum', c.callerIdNum || '<unknown>'],
    ['CallerIDName', c.callerIdName || '<unknown>'],
    ['ConnectedLineNum', c.connectedLineNum || '<unknown>'],
    ['ConnectedLineName', c.connectedLineName || '<unknown>'],
    ['Language', 'en'],
    ['AccountCode', ''],
    ['Context', c.context ?? 'from-internal'],
    ['Exten', c.exten ?? 's'],
    ['Priority', '1'],
    ['Uniqueid', c.uniqueid],
    ['Linkedid', c.linkedid],
  ];
  return fields.map(([name, value]) => [`${prefix}${name}`, value]);
}

function dialParties(caller: FakeChannel | null, dest: FakeChannel): Array<[string, string]> {
  return [...(caller ? channelFields(caller) : []), ...channelFields(dest, 'Dest')];
}

/** ast_manager_build_bridge_state_string_prefix. */
function bridgeFields(bridgeId: string, members: number): Array<[string, string]> {
  return [
    ['BridgeUniqueid', bridgeId],
    ['BridgeType', 'basic'],
    ['BridgeTechnology', 'simple_bridge'],
    ['BridgeCreator', '<unknown>'],
    ['BridgeName', '<unknown>'],
    ['BridgeNumChannels', String(members)],
    ['BridgeVideoSourceMode', 'none'],
  ];
}

/** Fields every queue member report carries, after its identity fields. */
function memberState(m: FakeMember): Array<[string, string]> {
  return [
    ['StateInterface', m.stateInterface],
    ['Membership', m.dynamic ? 'dynamic' : 'static'],
    ['Penalty', m.penalty],
    ['CallsTaken', '0'],
    ['LastCall', '0'],
    ['LastPause', '0'],
    ['LoginTime', '1700000200'],
    ['InCall', '0'],
    ['Status', '1'],
    ['Paused', m.paused ? '1' : '0'],
    ['PausedReason', m.reason],
  ];
}

/** QueueMember* event blob (queue_member_blob_create). */
function memberFields(m: FakeMember): Array<[string, string]> {
  return [
    ['Queue', m.queue],
    ['MemberName', m.name],
    ['Interface', m.interface],
    ...memberState(m),
    ['Ringinuse', '0'],
    ['Wrapuptime', '0'],
  ];
}

/** QueueStatus' QueueMember item: Name and Location instead of MemberName and Interface. */
function queueMemberFields(m: FakeMember): Array<[string, string]> {
  return [
    ['Event', 'QueueMember'],
    ['Queue', m.queue],
    ['Name', m.name],
    ['Location', m.interface],
    ...memberState(m),
    ['Wrapuptime', '0'],
  ];
}

function parseMask(mask: string): Set<string> {
  const lower = mask.trim().toLowerCase();
  if (lower === 'off' || lower === 'no' || lower === 'false') return new Set();
  if (lower === '' || lower === 'on' || lower === 'yes' || lower === 'true') return new Set(ALL_CLASSES);
  return new Set(lower.split(',').map((c) => c.trim()));
}

/** func_presencestate.c parse_data + base64 option `e`. */
function parsePresence(value: string): { state: string; subtype: string; message: string } | null {
  const [state = '', subtype = '', message = '', options = ''] = value.split(',');
  if (!PRESENCE_STATES.has(state.toLowerCase())) return null;
  if (options && !options.includes('e')) return null;
  const decode = (s: string): string =>
    options.includes('e') ? Buffer.from(s, 'base64').toString('utf8') : s;
  return { state: state.toLowerCase(), subtype: decode(subtype), message: decode(message) };
}

function isTrue(value: string | undefined): boolean {
  return /^(true|yes|1|on)$/i.test(value ?? '');
}
