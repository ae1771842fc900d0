/**
 * The FreePBX adapter: glues the AMI session, the event map, the call tracker, snapshot and apply
 * behind the PbxAdapter port. No status rules here (docs/architecture.md, "Adapters").
 *
 * Event flow: AMI event → mapEvent (tables) → call tracker (offer*, activity*) or presenceChanged,
 * or FullyBooted → restart detector. `connected` is emitted once per login, after the event mask is
 * set, with `restarted` when the FullyBooted that follows login showed a new Asterisk process; a
 * FullyBooted with a restart during a live session emits another `connected{restarted:true}`.
 *
 * Every event also passes the fact cache (fact-cache.ts), which forgets what an event contradicts; the cache is
 * cleared on every login and link loss and on an Asterisk restart, since events may have been missed.
 */
import type {
  ApplyOptions,
  ApplyResult,
  DesiredSettings,
  PbxAdapter,
  PbxCapabilities,
  PbxConnectionStatus,
  PbxEvent,
  PbxEventSink,
  PbxSnapshot,
  PbxTarget,
} from '../pbx.js';
import { applySettings } from './actions.js';
import { FREEPBX_CAPABILITIES } from './capabilities.js';
import type { AmiMessage } from './ami-message.js';
import { AmiSession } from './ami-session.js';
import { CallTracker, type ChannelFact } from './call-tracker.js';
import { createEventMapper } from './event-map.js';
import { FactCache } from './fact-cache.js';
import type { FreepbxAdapterOptions } from './options.js';
import { RestartDetector } from './restart-detector.js';
import { listChannels } from './snapshot.js';

export class FreepbxAdapter implements PbxAdapter {
  readonly kind = 'freepbx' as const;
  readonly id: string;
  private sink: PbxEventSink | null = null;
  private readonly session: AmiSession;
  private readonly tracker = new CallTracker((event) => this.emit(event));
  private readonly restarts = new RestartDetector();
  private readonly mapEvent: ReturnType<typeof createEventMapper>;
  private restartSeen = false;
  private snapshotting: Promise<PbxSnapshot> | null = null;
  private readonly options: Readonly<FreepbxAdapterOptions>;
  private readonly facts: FactCache;

  constructor(options: Readonly<FreepbxAdapterOptions>) {
    this.id = options.id;
    this.options = { ...options, logger: options.logger.child({ component: 'freepbx', pbx: options.id }) };
    this.mapEvent = createEventMapper(options.memberInterfaceTemplate);
    this.facts = new FactCache(options.memberInterfaceTemplate);
    this.session = new AmiSession(this.options, {
      onEvent: (msg) => this.onEvent(msg),
      onReady: () => this.onReady(),
      onDown: (reason) => {
        this.facts.clear();
        this.emit({ type: 'disconnected', at: new Date(), reason });
      },
    });
  }

  async start(sink: PbxEventSink): Promise<void> {
    if (this.sink) return;
    this.sink = sink;
    this.session.start();
  }

  async stop(): Promise<void> {
    await this.session.stop();
  }

  /** `verify`: read every setting from the PBX instead of trusting what is remembered (reconcile, reverts). */
  apply(target: PbxTarget, desired: DesiredSettings, options: ApplyOptions = {}): Promise<ApplyResult> {
    if (options.verify) this.facts.forgetExtension(target.extension);
    const facts = this.facts.forExtension(target.extension);
    return applySettings(this.session, target, desired, this.options, facts);
  }

  /** One CoreShowChannels at a time; concurrent callers share it. */
  snapshot(): Promise<PbxSnapshot> {
    this.snapshotting ??= this.takeSnapshot().finally(() => (this.snapshotting = null));
    return this.snapshotting;
  }

  status(): PbxConnectionStatus {
    return this.session.status();
  }

  capabilities(): PbxCapabilities {
    return FREEPBX_CAPABILITIES;
  }

  private async takeSnapshot(): Promise<PbxSnapshot> {
    const takenAt = new Date();
    this.tracker.beginSnapshot();
    let facts: ChannelFact[] | null = null;
    try {
      facts = await listChannels(this.session, takenAt);
    } finally {
      this.tracker.finishSnapshot(facts);
    }
    return { takenAt, calls: this.tracker.calls(), offers: this.tracker.offers() };
  }

  private onEvent(msg: AmiMessage): void {
    this.facts.observe(msg);
    const mapped = this.mapEvent(msg);
    switch (mapped.kind) {
      case 'channelOpen':
        return this.tracker.opened(mapped.fact);
      case 'channelClose':
        return this.tracker.closed(mapped.uniqueid, new Date());
      case 'dialNoAnswer':
        return this.tracker.noAnswer(mapped.uniqueid, new Date());
      case 'queueNoAnswer':
        return this.tracker.queueNoAnswer(mapped.extension, mapped.linkedid, mapped.attemptId, new Date());
      case 'presence':
        return this.emit({
          type: 'presenceChanged',
          extension: mapped.extension,
          presence: mapped.presence,
          at: new Date(),
        });
      case 'fullyBooted':
        return this.onFullyBooted(mapped.uptimeSeconds);
      case 'queueReload':
        this.options.logger.info({ module: mapped.module }, 'app_queue reloaded; re-asserting queue pauses');
        return this.emit({ type: 'resyncRequested', at: new Date(), reason: `reload ${mapped.module}` });
      case 'ignored':
        return;
    }
  }

  private onFullyBooted(uptimeSeconds: number): void {
    if (!this.restarts.observe(uptimeSeconds, new Date())) return;
    this.options.logger.warn({ uptimeSeconds }, 'Asterisk restarted');
    this.facts.clear();
    if (this.session.status().connected) this.emit({ type: 'connected', at: new Date(), restarted: true });
    else this.restartSeen = true; // the login's own FullyBooted: reported with this login's `connected`
  }

  private onReady(): void {
    this.facts.clear(); // events of the time between links are lost
    const restarted = this.restartSeen;
    this.restartSeen = false;
    this.emit({ type: 'connected', at: new Date(), restarted });
  }

  /** The sink belongs to the bridge; its failure must not break the AMI event loop. */
  private emit(event: PbxEvent): void {
    try {
      this.sink?.(event);
    } catch (err) {
      this.options.logger.error({ err, type: event.type }, 'PBX event sink failed');
    }
  }
}
