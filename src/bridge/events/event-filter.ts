/**
 * Who sees which event. An agent key sees its own user's events and catalog changes (to show status names and
 * colors), nothing else, whatever it asks for. Other roles see everything, or with `?users=` those users' events
 * plus the events that are not about any user (catalog and PBX link changes), since a filtered board still needs
 * them to render correctly.
 */
import type { Principal } from '../http/auth.js';
import { isPublic } from './public-events.js';
import type { StreamEntry } from './stream-entry.js';

export type EventFilter = (entry: StreamEntry) => boolean;

export function eventFilter(principal: Principal, users: readonly string[] | undefined): EventFilter {
  if (principal.role === 'agent') {
    const self = principal.userId;
    return (e) => isPublic(e) && (e.userId === self || (e.userId === '' && e.type === 'status-type.changed'));
  }
  if (users === undefined) return isPublic;
  const wanted = new Set(users);
  return (e) => isPublic(e) && (e.userId === '' || wanted.has(e.userId));
}
