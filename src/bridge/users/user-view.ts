/** The public UserState (the served OpenAPI, /docs), built from the stored domain state, the catalog and the PBX sync record. */
import type { Catalog, UserState } from '../../status/index.js';

/** in-sync: the PBX has what the state asks for; pending: a change is on its way; failed: it could not be applied. */
export type SyncState = 'in-sync' | 'pending' | 'failed';

export interface SyncRecord {
  state: SyncState;
  lastError: { code: string; message: string } | null;
  syncedAt: string | null;
  /** Settings of the current status the platform cannot carry out (src/bridge/sync/unsupported.ts). */
  unsupported?: string[];
  /** When the current sync state began (null: not known, records from before it was kept). */
  since?: string | null;
  /** Fingerprint of the PBX settings the user's state asks for now, and of the ones last applied. */
  desiredFingerprint?: string | null;
  appliedFingerprint?: string | null;
}

const UNKNOWN_COLOR = '#808080';

function typeRef(catalog: Catalog, id: string): { id: string; name: string; color: string } {
  const type = catalog.get(id);
  return { id, name: type?.name ?? id, color: type?.color ?? UNKNOWN_COLOR };
}

export function userView(state: UserState, catalog: Catalog, sync: SyncRecord | null = null) {
  const { directory } = state;
  return {
    id: state.id,
    displayName: directory.displayName,
    status: {
      ...typeRef(catalog, state.status.id),
      since: state.status.since,
      cause: state.status.cause,
      actor: state.status.actor,
      requestedBy: state.status.requestedBy,
      reason: state.status.reason,
    },
    upcoming: state.upcoming
      ? {
          ...typeRef(catalog, state.upcoming.id),
          selectedAt: state.upcoming.selectedAt,
          actor: state.upcoming.actor,
        }
      : null,
    lastUpcoming: state.lastUpcoming,
    pendingOffline: state.pendingOffline,
    activities: state.activities,
    offer: offerView(state),
    wrapUp: state.wrapUp,
    shift: state.shift,
    overage: state.overage,
    connection: state.connection,
    pbx: directory.pbx
      ? {
          ...directory.pbx,
          sync: syncView(sync),
        }
      : null,
    mobile: directory.mobile,
    queues: directory.queues,
    wrapUpSeconds: directory.wrapUpSeconds,
    version: state.version,
  };
}

export type UserView = ReturnType<typeof userView>;

function syncView(sync: SyncRecord | null) {
  return {
    state: sync?.state ?? ('pending' as const),
    lastError: sync?.lastError ?? null,
    syncedAt: sync?.syncedAt ?? null,
    unsupported: sync?.unsupported ?? [],
    since: sync?.since ?? null,
    desiredFingerprint: sync?.desiredFingerprint ?? null,
    appliedFingerprint: sync?.appliedFingerprint ?? null,
  };
}

/** The phone rings: the oldest unanswered offer (`offer: {since, source}` in the served OpenAPI), or null. */
function offerView(state: UserState): { since: string; source: string } | null {
  const oldest = state.offers[0];
  return oldest ? { since: oldest.since, source: oldest.source } : null;
}
