/**
 * The XAPI calls apply() makes on one user (paths and bodies as in the 20.0.10 OpenAPI file):
 * - read:   GET  /xapi/v1/Users({Id})?$select=…&$expand=ForwardingProfiles
 * - scalar: PATCH /xapi/v1/Users({Id}) with only the fields that differ (204)
 * - forwarding profiles: POST /xapi/v1/Users/Pbx.MultiUserUpdate {ids:[Id], user:{ForwardingProfiles}}
 *
 * Why MultiUserUpdate for profiles: its body type `Pbx.MultiEditUserData` lists `ForwardingProfiles`
 * [V schema] and third-party admin tools write profiles that way [C]; a deep update through PATCH
 * Users({Id}) is only inferred [I] (reference §6, uncertainty 3). MultiEditUserData has no
 * `CurrentProfileName`/`QueueStatus`, so those go through PATCH.
 */
import type { XapiClient } from './xapi-client.js';
import type { ForwardingProfile, QueueStatus, UserSettings } from './xapi-types.js';
import { USERS_PATH } from './identity.js';

/** Scalar fields apply() may PATCH. */
export interface UserPatch {
  CurrentProfileName?: string;
  QueueStatus?: QueueStatus;
  Internal?: boolean;
}

const SETTINGS_SELECT = 'Id,Number,CurrentProfileName,QueueStatus,Internal';

export function readUserSettings(client: XapiClient, id: number, extension: string): Promise<UserSettings> {
  return client.request<UserSettings>({
    method: 'GET',
    path: `${USERS_PATH}(${id})`,
    query: { $select: SETTINGS_SELECT, $expand: 'ForwardingProfiles' },
    what: 'read user',
    extension,
  });
}

export async function patchUser(
  client: XapiClient,
  id: number,
  extension: string,
  patch: UserPatch,
): Promise<void> {
  await client.request<unknown>({
    method: 'PATCH',
    path: `${USERS_PATH}(${id})`,
    body: patch,
    what: 'update user',
    extension,
  });
}

/** Writes the user's COMPLETE profile list: 3CX replaces the collection, so a partial list deletes profiles. */
export async function writeForwardingProfiles(
  client: XapiClient,
  id: number,
  extension: string,
  profiles: readonly ForwardingProfile[],
): Promise<void> {
  await client.request<unknown>({
    method: 'POST',
    path: `${USERS_PATH}/Pbx.MultiUserUpdate`,
    body: { ids: [id], user: { ForwardingProfiles: profiles } },
    what: 'update forwarding profiles',
    extension,
  });
}
