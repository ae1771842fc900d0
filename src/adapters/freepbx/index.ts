/** FreePBX/Asterisk adapter: wiring and public surface only. */
import type { PbxAdapter } from '../pbx.js';
import { FreepbxAdapter } from './adapter.js';
import { resolveFreepbxOptions, type FreepbxAdapterInput } from './options.js';

export type { FreepbxAdapterInput, FreepbxAdapterOptions } from './options.js';
export { FREEPBX_DEFAULTS, resolveFreepbxOptions } from './options.js';
export { FREEPBX_CAPABILITIES } from './capabilities.js';

/** Builds the adapter; call start(sink) to connect. Options not given take FreePBX defaults. */
export function createFreepbxAdapter(options: FreepbxAdapterInput): PbxAdapter {
  return new FreepbxAdapter(resolveFreepbxOptions(options));
}
