/**
 * Call Control REST (reference §8; no OpenAPI file exists for it). Shapes from 3CX's docs and
 * 3cx/call-control-examples `types.ts`:
 * - GET /callcontrol → `[{dn, type, devices:[…], participants:[…]}]`, one entry per monitored DN
 * - GET /callcontrol/{dn}/participants/{id} → one participant (gone after Remove: 404)
 * WebSocket events name the entity by path only, `/callcontrol/{dn}/participants/{id}`.
 */
import type { XapiClient } from './xapi-client.js';

export const CALLCONTROL_PATH = '/callcontrol';
export const CALLCONTROL_WS_PATH = '/callcontrol/ws';

/** Participant `status`: Dialing (outgoing), Ringing (incoming), Connected; no hold state exists. */
export interface CcParticipant {
  id: number | string;
  status?: string;
  dn?: string;
  callid?: number | string | null;
  legid?: number | string | null;
  party_dn?: string;
}

export interface CcDnInfo {
  dn: string;
  /** e.g. Wextension, Wroutepoint, Wexternalline. */
  type?: string;
  participants?: CcParticipant[];
}

export function listConnections(client: XapiClient): Promise<CcDnInfo[]> {
  return client.request<CcDnInfo[]>({ method: 'GET', path: CALLCONTROL_PATH, what: 'call control listing' });
}

/** The participant behind an event's entity path, or null once it is gone. */
export function getParticipant(client: XapiClient, entity: ParticipantRef): Promise<CcParticipant | null> {
  const path = `${CALLCONTROL_PATH}/${encodeURIComponent(entity.dn)}/participants/${encodeURIComponent(entity.id)}`;
  return client.find<CcParticipant>({ method: 'GET', path, what: 'call control participant' });
}

export interface ParticipantRef {
  dn: string;
  id: string;
}

const PARTICIPANT_ENTITY = /^\/callcontrol\/([^/]+)\/participants\/([^/]+)$/;

/** `/callcontrol/101/participants/7` → {dn:'101', id:'7'}; other entities (devices, …) → null. */
export function parseParticipantEntity(entity: string): ParticipantRef | null {
  const match = PARTICIPANT_ENTITY.exec(entity);
  if (!match?.[1] || !match[2]) return null;
  return { dn: decodeURIComponent(match[1]), id: decodeURIComponent(match[2]) };
}
