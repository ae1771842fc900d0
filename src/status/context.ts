/** What decide() needs besides the state and the command; re-exported from decide.ts. */
import type { DecideConfig } from './model.js';
import type { Catalog } from './status-type.js';

export interface DecideContext {
  catalog: Catalog;
  /** ISO-8601 UTC; injected so tests never sleep. */
  now: string;
  config: DecideConfig;
}
