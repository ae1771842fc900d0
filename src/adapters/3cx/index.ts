/**
 * The 3CX V20 adapter: wiring only. adapter.ts holds the lifecycle; each other module does one job
 * (token-manager, xapi-client, identity, apply, call-events, presence-poller, errors).
 */
import type { PbxAdapter } from '../pbx.js';
import { ThreeCxAdapter } from './adapter.js';
import { SettingsApplier } from './apply.js';
import { runCallEvents, type CallSourceDeps } from './call-events.js';
import { CallTracker } from './call-tracker.js';
import { threeCxCapabilities } from './capabilities.js';
import { ConnectionState } from './connection-state.js';
import { EventHub } from './event-hub.js';
import { createHttpStack } from './http.js';
import { runMissedOfferChecks } from './missed-offers.js';
import { Identity } from './identity.js';
import { resolveThreeCxOptions, type ThreeCxAdapterInput } from './options.js';
import { PresencePoller } from './presence-poller.js';
import { ProfileVocabulary } from './profile-names.js';
import { TokenManager } from './token-manager.js';
import { requestToken } from './token-request.js';
import { XapiClient } from './xapi-client.js';

export { resolveThreeCxOptions, THREE_CX_DEFAULTS } from './options.js';
export { threeCxCapabilities } from './capabilities.js';
export type { ThreeCxAdapterInput, ThreeCxAdapterOptions } from './options.js';

export function createThreeCxAdapter(input: ThreeCxAdapterInput): PbxAdapter {
  const options = resolveThreeCxOptions(input);
  // The bridge's factory binds pbx id and kind; this names the component.
  const log = options.logger.child({ component: '3cx-adapter' });
  const abort = new AbortController();
  const stack = createHttpStack(options);
  const mint = (): ReturnType<typeof requestToken> => requestToken(stack.http, options, abort.signal);
  const tokens = new TokenManager(mint, { backoff: options.backoff });
  const client = new XapiClient(stack.http, tokens, abort.signal);
  const identity = new Identity(client);
  const state = new ConnectionState();
  const hub = new EventHub(state, log);
  const vocabulary = new ProfileVocabulary();
  const tracker = new CallTracker(options.missedOfferGraceMs);
  const calls: CallSourceDeps = {
    client,
    tokens,
    tracker,
    socket: { url: options.url, ca: stack.ca, timeoutMs: options.requestTimeoutMs },
    pingIntervalMs: options.pingIntervalMs,
    pollIntervalMs: options.callPollIntervalMs,
    log,
    online: () => hub.online(),
    offline: (reason) => hub.offline(reason),
    report: (change) => hub.report(change),
    sawEvent: () => hub.sawEvent(),
    failed: (err) => hub.failed(err),
  };
  const presence = new PresencePoller({
    client,
    intervalMs: options.presencePollIntervalMs,
    log,
    report: (extension, change) => hub.presence(extension, vocabulary.inBridgeTerms(extension, change)),
    seen: (rows) => identity.remember(rows),
  });
  return new ThreeCxAdapter({
    id: options.id,
    capabilities: threeCxCapabilities(options),
    client,
    tokens,
    applier: new SettingsApplier(client, identity, {
      externalCalls: options.externalCalls,
      logger: log,
      vocabulary,
    }),
    state,
    hub,
    abort,
    loops: [
      (signal) => runCallEvents(calls, options.callEvents, options.backoff, signal),
      (signal) =>
        runMissedOfferChecks(tracker, (change) => hub.report(change), options.missedOfferGraceMs, signal),
      (signal) => presence.run(signal),
    ],
    close: stack.close,
  });
}
