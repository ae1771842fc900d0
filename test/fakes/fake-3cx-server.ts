/**
 * A wire-level fake of a 3CX V20 PBX, for tests: the OAuth2 token endpoint, XAPI Users (OData v4
 * envelopes, `$filter=Number eq '…'`, `$select`, `$expand`, `$top` ≤ 100 else 400, `$skip`), PATCH and
 * Pbx.MultiUserUpdate, Call Control REST and the `/callcontrol/ws` WebSocket (Bearer checked on the
 * upgrade; events `{sequence, event:{event_type, entity}}`).
 *
 * Behaves like the reference describes 3CX: one live token per client id (minting invalidates the
 * previous one), PATCH answers 204, ForwardingProfiles are replaced as a whole. Scriptable faults:
 * status answers (5xx, 429 + Retry-After), hung requests (client timeouts), token rotation, fields a
 * PATCH silently ignores, refused upgrades. Every HTTP request and upgrade is recorded.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { freePort } from '../harness/redis-server.js';

export type QueueStatus = 'LoggedIn' | 'LoggedOut';

export interface FakeProfile {
  Id: number;
  Name: string;
  CustomName: string | null;
  RingMyMobile: boolean;
  [field: string]: unknown;
}

export interface FakeUser {
  Id: number;
  Number: string;
  FirstName: string;
  LastName: string;
  DisplayName: string;
  Mobile: string;
  CurrentProfileName: string;
  QueueStatus: QueueStatus;
  Internal: boolean;
  ForwardingProfiles: FakeProfile[];
}

export interface FakeParticipant {
  id: number;
  status: 'Dialing' | 'Ringing' | 'Connected';
  dn: string;
  party_caller_name: string;
  party_dn: string;
  party_caller_id: string;
  device_id: string;
  party_dn_type: string;
  direct_control: boolean;
  callid: number;
  legid: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON or form body; null when none. */
  body: unknown;
  token: string | null;
}

export interface RecordedUpgrade {
  token: string | null;
  status: number;
}

export type Fault = { status: number; headers?: Record<string, string>; body?: unknown } | { hang: true };

export interface FakeOptions {
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Token lifetime the fake enforces, in seconds. */
  tokenLifetimeSeconds?: number;
  /** 'seconds' (3CX ≥ 20.0.9) or 'minutes' (before 20.0.9) for `expires_in`. */
  expiresInUnit?: 'seconds' | 'minutes';
  /** JWT access tokens carrying `exp` (default) or opaque ones. */
  jwt?: boolean;
}

interface ScriptedFault {
  method: string | undefined;
  path: RegExp;
  fault: Fault;
  remaining: number;
}

const PROFILE_NAMES = ['Available', 'Away', 'Out of office', 'Custom 1', 'Custom 2'] as const;
const USER_FIELDS = new Set(['CurrentProfileName', 'QueueStatus', 'Internal', 'Mobile', 'DisplayName']);
const MAX_TOP = 100;

export class Fake3cxServer {
  readonly clientId = '901';
  readonly clientSecret = `secret-${randomUUID()}`;
  readonly users = new Map<number, FakeUser>();
  readonly requests: RecordedRequest[] = [];
  readonly upgrades: RecordedUpgrade[] = [];
  readonly tokensIssued: string[] = [];
  /** Fields a PATCH or MultiUserUpdate accepts with 204 but does not change. */
  readonly ignoredFields = new Set<string>();
  /** Answer upgrades with this status instead of switching protocols (null: accept). */
  refuseUpgrades: number | null = null;
  url = '';

  private readonly server: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Map<WebSocket, string>();
  private readonly liveTokens = new Map<string, number>();
  private readonly faults: ScriptedFault[] = [];
  private readonly hung = new Set<http.ServerResponse>();
  private readonly participants = new Map<string, Map<number, FakeParticipant>>();
  private nextUserId = 10;
  private nextParticipantId = 1;
  private nextCallId = 1000;
  private sequence = 0;

  private constructor(private readonly options: FakeOptions) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => void this.handle(req, res);
    this.server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  static async start(options: FakeOptions = {}): Promise<Fake3cxServer> {
    const fake = new Fake3cxServer(options);
    const port = await freePort();
    await new Promise<void>((resolve) => fake.server.listen(port, '127.0.0.1', resolve));
    fake.url = `${options.tls ? 'https' : 'http'}://${options.tls ? 'localhost' : '127.0.0.1'}:${port}`;
    return fake;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets.keys()) ws.terminate();
    for (const res of this.hung) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- scripting: users -------------------------------------------------------------------------

  addUser(number: string, patch: Partial<FakeUser> = {}): FakeUser {
    const id = this.nextUserId++;
    const user: FakeUser = {
      Id: id,
      Number: number,
      FirstName: 'Agent',
      LastName: number,
      DisplayName: `Agent ${number}`,
      Mobile: `+4915100${number}`,
      CurrentProfileName: 'Available',
      QueueStatus: 'LoggedIn',
      Internal: false,
      ForwardingProfiles: PROFILE_NAMES.map((name, i) => defaultProfile(id * 10 + i, name)),
      ...patch,
    };
    this.users.set(id, user);
    return user;
  }

  user(number: string): FakeUser {
    const user = [...this.users.values()].find((u) => u.Number === number);
    if (!user) throw new Error(`fake 3CX has no user ${number}`);
    return user;
  }

  // ---- scripting: faults and tokens -------------------------------------------------------------

  /** The next `times` requests matching `path` (and `method`) get `fault` instead of an answer. */
  fail(path: RegExp, fault: Fault, options: { method?: string; times?: number } = {}): void {
    this.faults.push({ method: options.method, path, fault, remaining: options.times ?? 1 });
  }

  /** Every token stops working (someone else minted, or the PBX restarted); open sockets are closed. */
  rotateTokens(): void {
    this.liveTokens.clear();
    for (const ws of this.sockets.keys()) ws.close(1008, 'token revoked');
  }

  // ---- scripting: calls -------------------------------------------------------------------------

  /** A new participant under `dn` (a call offered or dialled); announced on the socket unless silent. */
  addParticipant(
    dn: string,
    options: { callid?: number; status?: FakeParticipant['status']; silent?: boolean } = {},
  ): FakeParticipant {
    const participant: FakeParticipant = {
      id: this.nextParticipantId++,
      status: options.status ?? 'Ringing',
      dn,
      party_caller_name: 'Caller',
      party_dn: '10000',
      party_caller_id: '+49301234567',
      device_id: `sip:${dn}@127.0.0.1`,
      party_dn_type: 'Wexternalline',
      direct_control: false,
      callid: options.callid ?? this.nextCallId++,
      legid: 1,
    };
    this.dnParticipants(dn).set(participant.id, participant);
    if (!options.silent) this.announce(0, dn, participant.id);
    return participant;
  }

  setParticipantStatus(dn: string, id: number, status: FakeParticipant['status']): void {
    const participant = this.dnParticipants(dn).get(id);
    if (!participant) throw new Error(`no participant ${id} on ${dn}`);
    participant.status = status;
    this.announce(0, dn, id);
  }

  removeParticipant(dn: string, id: number, options: { silent?: boolean } = {}): void {
    this.dnParticipants(dn).delete(id);
    if (!options.silent) this.announce(1, dn, id);
  }

  /** Sends a raw message to every open socket (for stale, unknown or malformed events). */
  sendRaw(message: unknown): void {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    for (const ws of this.sockets.keys()) ws.send(text);
  }

  /** Next event sequence number (tests build stale or out-of-order messages with it). */
  nextSequence(): number {
    return ++this.sequence;
  }

  /** Cuts every socket without a close frame (network drop). */
  dropSockets(): void {
    for (const ws of this.sockets.keys()) ws.terminate();
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  // ---- HTTP -------------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBody(req);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: parseBody(raw, req.headers['content-type']),
      token: bearer(req.headers.authorization),
    };
    this.requests.push(recorded);
    if (this.applyFault(recorded, res)) return;
    if (recorded.path === '/connect/token' && recorded.method === 'POST') return this.token(recorded, res);
    if (!this.tokenValid(recorded.token)) return send(res, 401, undefined);
    this.route(recorded, url, res);
  }

  private applyFault(req: RecordedRequest, res: http.ServerResponse): boolean {
    const scripted = this.faults.find(
      (f) => f.remaining > 0 && f.path.test(req.path) && (f.method === undefined || f.method === req.method),
    );
    if (!scripted) return false;
    scripted.remaining -= 1;
    if ('hang' in scripted.fault) this.hung.add(res);
    else send(res, scripted.fault.status, scripted.fault.body, scripted.fault.headers);
    return true;
  }

  private token(req: RecordedRequest, res: http.ServerResponse): void {
    const form = req.body as Record<string, string> | null;
    const ok =
      form?.grant_type === 'client_credentials' &&
      form.client_id === this.clientId &&
      form.client_secret === this.clientSecret;
    if (!ok)
      return send(res, 400, { error: 'invalid_client', error_description: 'Client authentication failed' });
    const lifetime = this.options.tokenLifetimeSeconds ?? 3600;
    const expiresAt = Date.now() + lifetime * 1000;
    const token = this.options.jwt === false ? randomUUID() : jwt(this.clientId, expiresAt);
    this.liveTokens.clear(); // 3CX: one live token per client id
    this.liveTokens.set(token, expiresAt);
    this.tokensIssued.push(token);
    const expiresIn = this.options.expiresInUnit === 'minutes' ? Math.round(lifetime / 60) : lifetime;
    send(res, 200, { token_type: 'Bearer', expires_in: expiresIn, access_token: token, refresh_token: null });
  }

  private tokenValid(token: string | null): boolean {
    const expiresAt = token === null ? undefined : this.liveTokens.get(token);
    return expiresAt !== undefined && Date.now() < expiresAt;
  }

  private route(req: RecordedRequest, url: URL, res: http.ServerResponse): void {
    const p = req.path;
    const m = req.method;
    let match: RegExpExecArray | null;
    if (m === 'GET' && p === '/xapi/v1/Users') return this.listUsers(url, res);
    if ((match = /^\/xapi\/v1\/Users\((\d+)\)$/.exec(p)))
      return this.userEntity(m, Number(match[1]), req, url, res);
    if (m === 'GET' && (match = /^\/xapi\/v1\/Users\((\d+)\)\/ForwardingProfiles$/.exec(p)))
      return this.profiles(Number(match[1]), res);
    if (m === 'POST' && p === '/xapi/v1/Users/Pbx.MultiUserUpdate')
      return this.multiUserUpdate(req.body, res);
    if (m === 'GET' && p === '/callcontrol') return send(res, 200, this.listing());
    if (m === 'GET' && (match = /^\/callcontrol\/([^/]+)\/participants\/(\d+)$/.exec(p)))
      return this.participant(match[1] ?? '', Number(match[2]), res);
    if (m === 'GET' && (match = /^\/callcontrol\/([^/]+)\/participants$/.exec(p)))
      return send(res, 200, [...this.dnParticipants(match[1] ?? '').values()]);
    send(res, 404, odataError(`No route for ${m} ${p}`));
  }

  private listUsers(url: URL, res: http.ServerResponse): void {
    const q = url.searchParams;
    const top = q.has('$top') ? Number(q.get('$top')) : undefined;
    if (top !== undefined && top > MAX_TOP)
      return send(res, 400, odataError(`The limit of '${MAX_TOP}' for Top query has been exceeded.`));
    let users = [...this.users.values()].sort((a, b) => a.Id - b.Id);
    const filter = q.get('$filter');
    if (filter !== null) {
      const wanted = parseNumberFilter(filter);
      if (wanted === null) return send(res, 400, odataError(`Unsupported filter: ${filter}`));
      users = users.filter((u) => u.Number === wanted);
    }
    const skip = Number(q.get('$skip') ?? 0);
    const page = users.slice(skip, top === undefined ? undefined : skip + top);
    send(res, 200, {
      '@odata.context': `${this.url}/xapi/v1/$metadata#Users`,
      value: page.map((u) => project(u, q)),
    });
  }

  private userEntity(
    method: string,
    id: number,
    req: RecordedRequest,
    url: URL,
    res: http.ServerResponse,
  ): void {
    const user = this.users.get(id);
    if (!user) return send(res, 404, odataError(`User ${id} not found`));
    if (method === 'GET')
      return send(res, 200, {
        '@odata.context': `${this.url}/xapi/v1/$metadata#Users/$entity`,
        ...project(user, url.searchParams),
      });
    if (method !== 'PATCH') return send(res, 405, odataError('Method not allowed'));
    const error = this.patchUser(user, req.body);
    send(res, error ? 400 : 204, error ? odataError(error) : undefined);
  }

  private patchUser(user: FakeUser, body: unknown): string | null {
    const patch = (body ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(patch).find((k) => !USER_FIELDS.has(k));
    if (unknown) return `The property '${unknown}' does not exist on type 'Pbx.User'.`;
    if (
      'CurrentProfileName' in patch &&
      !user.ForwardingProfiles.some((p) => p.Name === patch.CurrentProfileName)
    ) {
      return `Unknown profile ${String(patch.CurrentProfileName)}`;
    }
    const kept = Object.entries(patch).filter(([k]) => !this.ignoredFields.has(k));
    Object.assign(user, Object.fromEntries(kept));
    return null;
  }

  private profiles(id: number, res: http.ServerResponse): void {
    const user = this.users.get(id);
    if (!user) return send(res, 404, odataError(`User ${id} not found`));
    send(res, 200, {
      '@odata.context': `${this.url}/xapi/v1/$metadata#Users(${id})/ForwardingProfiles`,
      value: user.ForwardingProfiles,
    });
  }

  /** Like 3CX: the profile list is replaced as sent, so profiles left out are gone. */
  private multiUserUpdate(body: unknown, res: http.ServerResponse): void {
    const { ids, user } = (body ?? {}) as { ids?: number[]; user?: { ForwardingProfiles?: FakeProfile[] } };
    const targets = (ids ?? []).map((id) => this.users.get(id));
    if (targets.length === 0 || targets.some((t) => !t)) return send(res, 404, odataError('User not found'));
    const profiles = user?.ForwardingProfiles;
    if (
      profiles &&
      !this.ignoredFields.has('ForwardingProfiles') &&
      !this.ignoredFields.has('RingMyMobile')
    ) {
      for (const target of targets) if (target) target.ForwardingProfiles = structuredClone(profiles);
    }
    send(res, 204, undefined);
  }

  private listing(): unknown[] {
    const dns = [...this.users.values()].map((u) => ({ dn: u.Number, type: 'Wextension' }));
    return [...dns, { dn: this.clientId, type: 'Wroutepoint' }].map((d) => ({
      ...d,
      devices: [{ dn: d.dn, device_id: `sip:${d.dn}@127.0.0.1`, user_agent: 'Fake' }],
      participants: [...this.dnParticipants(d.dn).values()],
    }));
  }

  private participant(dn: string, id: number, res: http.ServerResponse): void {
    const participant = this.dnParticipants(dn).get(id);
    send(res, participant ? 200 : 404, participant ?? undefined);
  }

  private dnParticipants(dn: string): Map<number, FakeParticipant> {
    let map = this.participants.get(dn);
    if (!map) this.participants.set(dn, (map = new Map()));
    return map;
  }

  // ---- WebSocket --------------------------------------------------------------------------------

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const token = bearer(req.headers.authorization);
    const status = this.upgradeStatus(req, token);
    this.upgrades.push({ token, status });
    if (status !== 101) {
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sockets.set(ws, token ?? '');
      ws.on('close', () => this.sockets.delete(ws));
    });
  }

  private upgradeStatus(req: http.IncomingMessage, token: string | null): number {
    if (new URL(req.url ?? '/', 'http://fake').pathname !== '/callcontrol/ws') return 404;
    if (this.refuseUpgrades !== null) return this.refuseUpgrades;
    return this.tokenValid(token) ? 101 : 401;
  }

  private announce(eventType: 0 | 1, dn: string, id: number): void {
    const message = {
      sequence: this.nextSequence(),
      event: { event_type: eventType, entity: `/callcontrol/${dn}/participants/${id}`, attached_data: null },
    };
    this.sendRaw(message);
  }
}

function defaultProfile(id: number, name: string): FakeProfile {
  const destination = { To: 'VoiceMail', Number: '', External: '', Name: '', Type: 'None', Tags: [] };
  return {
    Id: id,
    Name: name,
    CustomName: name === 'Custom 1' ? 'Lunch' : name === 'Custom 2' ? 'Business Trip' : null,
    CustomMessage: '',
    RingMyMobile: false,
    AcceptMultipleCalls: true,
    BlockPushCalls: false,
    DisableRingGroupCalls: name !== 'Available',
    NoAnswerTimeout: 20,
    OfficeHoursAutoQueueLogOut: false,
    AvailableRoute: {
      NoAnswerAllCalls: true,
      NoAnswerInternal: destination,
      NoAnswerExternal: destination,
      BusyAllCalls: true,
      BusyInternal: destination,
      BusyExternal: destination,
      NotRegisteredAllCalls: true,
      NotRegisteredInternal: destination,
      NotRegisteredExternal: destination,
    },
    AwayRoute: {
      AllHoursInternal: true,
      AllHoursExternal: true,
      Internal: destination,
      External: destination,
    },
  };
}

/** `Number eq '101'` with OData quoting (quotes doubled); anything else is unsupported. */
function parseNumberFilter(filter: string): string | null {
  const match = /^Number eq '((?:[^']|'')*)'$/.exec(filter);
  return match?.[1] === undefined ? null : match[1].replaceAll("''", "'");
}

function project(user: FakeUser, q: URLSearchParams): Record<string, unknown> {
  const select = q.get('$select')?.split(',');
  const expand = q.get('$expand')?.split(',') ?? [];
  const base = Object.fromEntries(
    Object.entries(user).filter(([k]) => k !== 'ForwardingProfiles' && (!select || select.includes(k))),
  );
  return expand.includes('ForwardingProfiles')
    ? { ...base, ForwardingProfiles: structuredClone(user.ForwardingProfiles) }
    : base;
}

function odataError(message: string): unknown {
  return { error: { code: '', message } };
}

function send(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
    ...headers,
  });
  res.end(text);
}

function bearer(header: string | undefined): string | null {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  return match?.[1] ?? null;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (!raw) return null;
  if (contentType?.includes('application/x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function jwt(subject: string, expiresAtMs: number): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: subject, exp: Math.floor(expiresAtMs / 1000), jti: randomUUID() })}.sig`;
}
