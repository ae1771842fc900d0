/**
 * Who this daemon is, for leases and for GET /v1/pbx. The node name is for people (config `ha.nodeName`, or
 * "<hostname>-<pid>"), and may be shared by mistake: one config file mounted into two containers, a copied unit.
 * The instance id is random per process, so the lease owner `<nodeName>#<instanceId>` is unique even then: two
 * daemons with the same name can never both believe they hold a PBX connection.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export interface DaemonIdentity {
  /** The configured or default name, shown as `heldBy`. */
  nodeName: string;
  /** Random per process start. */
  instanceId: string;
  /** `<nodeName>#<instanceId>`: the lease owner. */
  owner: string;
}

export const defaultNodeName = (): string => `${hostname()}-${process.pid}`;

export function createIdentity(nodeName: string = defaultNodeName()): DaemonIdentity {
  const instanceId = randomBytes(6).toString('hex');
  return { nodeName, instanceId, owner: `${nodeName}#${instanceId}` };
}
