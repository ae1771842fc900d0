/**
 * apply(): make one extension match the desired settings, setting by setting.
 *
 * Each setting is compared with what is known of it (remembered from earlier reads and writes, else read) and written
 * only on a difference (level-triggered, docs/architecture.md "PBX sync"), so a second apply() with the same wish sends nothing. `verify` (the
 * bridge's reconcile and forced syncs) forgets what is remembered and reads every setting from the PBX first.
 * The settings are independent and run together, their AMI actions pipelined. A permanent fault in one setting
 * (say, no Follow Me for this extension) does not stop the others: they are still applied, then the first permanent
 * error is thrown. A retryable fault (connection lost, timeout) is thrown once all settings have settled; the bridge
 * retries the whole job.
 */
import { PbxError, type ApplyResult, type DesiredSettings, type PbxTarget } from '../pbx.js';
import { loadApplyContext, type ApplyContext } from './apply-context.js';
import type { AmiPort } from './astdb.js';
import type { ExtensionFacts } from './fact-cache.js';
import { syncDnd, syncExternalCalls, syncFollowMe, syncPresence } from './feature-sync.js';
import type { FreepbxAdapterOptions } from './options.js';
import { syncQueues } from './queue-sync.js';

/** Setting names as reported in ApplyResult.changed. */
export type SettingName = 'queues' | 'dnd' | 'presence' | 'ringMyMobile' | 'externalCalls';

type Sync = (ctx: ApplyContext, desired: DesiredSettings) => Promise<boolean>;

const SETTINGS: ReadonlyArray<readonly [SettingName, Sync]> = [
  ['queues', syncQueues],
  ['dnd', syncDnd],
  ['presence', syncPresence],
  ['ringMyMobile', syncFollowMe],
  ['externalCalls', syncExternalCalls],
];

type ApplyOptions = Pick<
  FreepbxAdapterOptions,
  'memberInterfaceTemplate' | 'stateInterfaceTemplate' | 'logger'
>;

export async function applySettings(
  ami: AmiPort,
  target: PbxTarget,
  desired: DesiredSettings,
  options: ApplyOptions,
  facts: ExtensionFacts,
): Promise<ApplyResult> {
  const ctx = await loadApplyContext(ami, target, options, facts);
  const outcomes = await Promise.allSettled(SETTINGS.map(([, sync]) => sync(ctx, desired)));
  const changed: SettingName[] = [];
  const failures: PbxError[] = [];
  for (const [i, outcome] of outcomes.entries()) {
    const name = (SETTINGS[i] as (typeof SETTINGS)[number])[0];
    if (outcome.status === 'fulfilled') {
      if (outcome.value) changed.push(name);
      continue;
    }
    const err: unknown = outcome.reason;
    if (!(err instanceof PbxError) || err.retryable) throw err;
    failures.push(withField(err, name));
  }
  const log = { extension: target.extension, statusId: desired.statusId, changed };
  if (!failures[0]) {
    options.logger.debug(log, 'freepbx settings applied');
    return { changed };
  }
  options.logger.warn(
    { ...log, failed: failures.map((f) => f.details.field) },
    'freepbx settings partly applied',
  );
  throw failures[0];
}

function withField(err: PbxError, field: SettingName): PbxError {
  if (err.details.field) return err;
  return new PbxError(err.code, err.message, { ...err.details, field });
}
