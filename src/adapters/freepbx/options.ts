/**
 * Options of the FreePBX adapter: what the bridge's config hands over, with defaults filled in once.
 *
 * Timings are small numbers on purpose: a dead AMI link must be noticed within seconds
 * (pingIntervalMs + pingTimeoutMs), and a failing PBX must not be hammered (capped backoff).
 */
import type { Logger } from 'pino';

/** Fully resolved options; every adapter module reads these, never raw config. */
export interface FreepbxAdapterOptions {
  /** Connection id, e.g. "main"; shows in logs and in the bridge's PBX status. */
  id: string;
  ami: { host: string; port: number; username: string; secret: string };
  /** Keepalive `Ping` period while connected. */
  pingIntervalMs: number;
  /** A `Ping` without `Pong` within this deadline means the link is dead (half-open TCP). */
  pingTimeoutMs: number;
  /** Deadline for every other action (and for connect + login). */
  actionTimeoutMs: number;
  /** Reconnect delay: exponential from initialMs, capped at maxMs, with jitter. */
  backoff: { initialMs: number; maxMs: number };
  /** Queue member interface; `{ext}` is replaced by the extension (FreePBX: Local/{ext}@from-queue/n). */
  memberInterfaceTemplate: string;
  /** Queue member state interface; FreePBX follows the extension hint. */
  stateInterfaceTemplate: string;
  logger: Logger;
}

/** What callers must give; everything else has a FreePBX default. */
export type FreepbxAdapterInput = Pick<FreepbxAdapterOptions, 'id' | 'ami' | 'logger'> &
  Partial<Omit<FreepbxAdapterOptions, 'id' | 'ami' | 'logger' | 'backoff'>> & {
    backoff?: Partial<FreepbxAdapterOptions['backoff']>;
  };

export const FREEPBX_DEFAULTS = {
  pingIntervalMs: 10_000,
  pingTimeoutMs: 5_000,
  actionTimeoutMs: 5_000,
  backoff: { initialMs: 500, maxMs: 30_000 },
  memberInterfaceTemplate: 'Local/{ext}@from-queue/n',
  stateInterfaceTemplate: 'hint:{ext}@ext-local',
} as const;

/** Fills defaults and returns a frozen options object. */
export function resolveFreepbxOptions(input: FreepbxAdapterInput): Readonly<FreepbxAdapterOptions> {
  const d = FREEPBX_DEFAULTS;
  return Object.freeze({
    id: input.id,
    ami: { ...input.ami },
    pingIntervalMs: input.pingIntervalMs ?? d.pingIntervalMs,
    pingTimeoutMs: input.pingTimeoutMs ?? d.pingTimeoutMs,
    actionTimeoutMs: input.actionTimeoutMs ?? d.actionTimeoutMs,
    backoff: {
      initialMs: input.backoff?.initialMs ?? d.backoff.initialMs,
      maxMs: input.backoff?.maxMs ?? d.backoff.maxMs,
    },
    memberInterfaceTemplate: input.memberInterfaceTemplate ?? d.memberInterfaceTemplate,
    stateInterfaceTemplate: input.stateInterfaceTemplate ?? d.stateInterfaceTemplate,
    logger: input.logger,
  });
}

/** Fills `{ext}` in an interface template. */
export function fillTemplate(template: string, extension: string): string {
  return template.split('{ext}').join(extension);
}
