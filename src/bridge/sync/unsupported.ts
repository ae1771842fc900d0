/**
 * Which parts of a user's desired settings the connection's platform cannot carry out (from the adapter's declared
 * capabilities). Pure. A user's `pbx.sync.unsupported` lists them, so "in-sync" never claims more than was done.
 * Names: `queues.perQueue` (the user has queues but login is global), `queues.pause` (a pause done as a logout),
 * `queues.pauseReason`, `ringMyMobile`, `externalCalls` (not managed at all), `externalCalls.inbound` (calls are to
 * be blocked, but only outbound ones can be). `pbxPresence.freepbx.dnd` is FreePBX's own and never listed.
 */
import type { DesiredSettings, PbxCapabilities, PbxTarget } from '../../adapters/pbx.js';

export function unsupportedSettings(
  caps: PbxCapabilities,
  target: Pick<PbxTarget, 'queues'>,
  desired: DesiredSettings,
): string[] {
  const out: string[] = [];
  const paused = !desired.queues.loggedIn && desired.queues.mode === 'pause';
  if (caps.queueLogin.scope === 'global' && target.queues.length > 0) out.push('queues.perQueue');
  if (paused && caps.queuePause.support === 'unsupported') out.push('queues.pause');
  if (paused && desired.queues.reason && !caps.queuePause.reason) out.push('queues.pauseReason');
  if (caps.ringMyMobile.support === 'unsupported') out.push('ringMyMobile');
  if (caps.externalCalls.support === 'unsupported') out.push('externalCalls');
  else if (!desired.externalCalls && !caps.externalCalls.directions.includes('inbound'))
    out.push('externalCalls.inbound'); // blocking is wanted, but inbound external calls still ring
  return out;
}
