/**
 * The 3CX V20 adapter's lifecycle: start the call event source and the presence poller, apply settings,
 * take snapshots, report status, stop. Parts are built in index.ts and handed in.
 */
import type {
  ApplyResult,
  DesiredSettings,
  PbxAdapter,
  PbxCapabilities,
  PbxConnectionStatus,
  PbxEventSink,
  PbxSnapshot,
  PbxTarget,
} from '../pbx.js';
import { PbxError } from '../pbx.js';
import type { SettingsApplier } from './apply.js';
import { listConnections } from './callcontrol-api.js';
import { callsOf, offersOf } from './call-tracker.js';
import type { ConnectionState } from './connection-state.js';
import type { EventHub } from './event-hub.js';
import type { TokenManager } from './token-manager.js';
import type { XapiClient } from './xapi-client.js';

export interface AdapterParts {
  id: string;
  capabilities: PbxCapabilities;
  client: XapiClient;
  tokens: TokenManager;
  applier: SettingsApplier;
  state: ConnectionState;
  hub: EventHub;
  abort: AbortController;
  /** Background loops (call events, presence poll); each resolves once `signal` aborts. */
  loops: ReadonlyArray<(signal: AbortSignal) => Promise<void>>;
  /** Releases sockets and agents once everything has stopped. */
  close: () => void;
}

export class ThreeCxAdapter implements PbxAdapter {
  readonly kind = '3cx' as const;
  readonly id: string;
  private running: Promise<unknown> | null = null;
  private stopping: Promise<void> | null = null;

  constructor(private readonly parts: AdapterParts) {
    this.id = parts.id;
  }

  async start(sink: PbxEventSink): Promise<void> {
    if (this.running || this.stopping) return;
    this.parts.hub.attach(sink);
    const { signal } = this.parts.abort;
    this.running = Promise.allSettled(this.parts.loops.map((loop) => loop(signal)));
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  apply(target: PbxTarget, desired: DesiredSettings): Promise<ApplyResult> {
    if (this.stopping)
      return Promise.reject(new PbxError('PBX_UNAVAILABLE', `3CX ${this.id}: adapter stopped`));
    return this.parts.applier.apply(target, desired);
  }

  /** The calls GET /callcontrol shows right now, one per engaged extension, and the legs still ringing. */
  async snapshot(): Promise<PbxSnapshot> {
    if (!this.status().connected) throw new PbxError('PBX_UNAVAILABLE', `3CX ${this.id}: not connected`);
    const listing = await listConnections(this.parts.client);
    return { takenAt: new Date(), calls: callsOf(listing), offers: offersOf(listing) };
  }

  status(): PbxConnectionStatus {
    return this.parts.state.status(this.parts.tokens.hasToken());
  }

  capabilities(): PbxCapabilities {
    return this.parts.capabilities;
  }

  private async shutdown(): Promise<void> {
    this.parts.hub.close();
    this.parts.abort.abort();
    await this.running;
    this.parts.close();
  }
}
