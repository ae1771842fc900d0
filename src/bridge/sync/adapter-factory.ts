/** Config entry → adapter. The only place that knows both the config shape and the adapters' option types. */
import type { Logger } from 'pino';
import { createThreeCxAdapter, threeCxCapabilities } from '../../adapters/3cx/index.js';
import { createFreepbxAdapter, FREEPBX_CAPABILITIES } from '../../adapters/freepbx/index.js';
import type { PbxAdapter, PbxCapabilities } from '../../adapters/pbx.js';
import type { PbxConfig } from '../config/schema.js';

export function createAdapter(config: PbxConfig, log: Logger): PbxAdapter {
  const logger = log.child({ pbx: config.id, kind: config.kind });
  if (config.kind === 'freepbx') {
    const { presenceMap: _map, kind: _kind, ...options } = config;
    return createFreepbxAdapter({
      ...options,
      ami: { ...options.ami },
      backoff: { ...options.backoff },
      logger,
    });
  }
  const { presenceMap: _map, kind: _kind, caFile, ...options } = config;
  return createThreeCxAdapter({
    ...options,
    ...(caFile ? { caFile } : {}),
    externalCalls: { ...options.externalCalls },
    backoff: { ...options.backoff },
    logger,
  });
}

/** What a configured connection can do; known without holding it (GET /v1/pbx on any daemon). */
export function capabilitiesOf(config: PbxConfig): PbxCapabilities {
  return config.kind === 'freepbx' ? FREEPBX_CAPABILITIES : threeCxCapabilities(config);
}
