/**
 * The check of an endpoint URL when an admin creates or changes it: the policy on the URL, then on every address
 * its host resolves to now. A host that does not resolve is accepted (it may exist later); every attempt checks
 * the addresses it actually connects to anyway (sender.ts).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ApiError } from '../errors.js';
import type { UrlCheck } from './endpoint-store.js';
import { bareHost, type TargetPolicy } from './target-policy.js';

export function urlCheck(policy: TargetPolicy): UrlCheck {
  return async (url) => {
    const parsed = new URL(url);
    const refused = policy.checkUrl(parsed);
    if (refused) throw forbidden(refused);
    const host = bareHost(parsed.hostname);
    if (isIP(host)) return;
    let addresses: Array<{ address: string }>;
    try {
      addresses = await lookup(host, { all: true });
    } catch {
      return;
    }
    const listed = policy.hostListed(host);
    for (const { address } of addresses) {
      const reason = policy.checkAddress(address, listed);
      if (reason) throw forbidden(`${host}: ${reason}`);
    }
  };
}

const forbidden = (reason: string): ApiError =>
  new ApiError('WEBHOOK_TARGET_FORBIDDEN', `webhook target not allowed: ${reason}`, { reason });
