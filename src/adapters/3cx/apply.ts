/**
 * apply(): read, compare, write only what differs, read back. A write the PBX answered with 204 but did
 * not carry out is reported as PBX_FIELD_IGNORED, never as success: `PATCH CurrentProfileName` is
 * reported to be silently ignored on some V20 builds (reference §4, uncertainty 1).
 */
import type { Logger } from 'pino';
import type { ApplyResult, DesiredSettings, PbxTarget } from '../pbx.js';
import { PbxError } from '../pbx.js';
import { unknownExtension, type Identity } from './identity.js';
import { planWrites, type PlanOptions, type WritePlan } from './plan.js';
import type { ProfileVocabulary } from './profile-names.js';
import { profileKey } from './profiles.js';
import { patchUser, readUserSettings, writeForwardingProfiles } from './user-settings.js';
import type { XapiClient } from './xapi-client.js';
import type { UserSettings } from './xapi-types.js';

export interface ApplierOptions {
  externalCalls: { enabled: boolean };
  logger: Logger;
  /** Learns which configured name each internal profile Name stands for. */
  vocabulary: ProfileVocabulary;
}

export class SettingsApplier {
  private externalCallsNoted = false;

  constructor(
    private readonly client: XapiClient,
    private readonly identity: Identity,
    private readonly options: ApplierOptions,
  ) {}

  apply(target: PbxTarget, desired: DesiredSettings): Promise<ApplyResult> {
    this.noteExternalCallsOff();
    return this.identity.withUserId(target.extension, (id) => this.applyTo(id, target.extension, desired));
  }

  private async applyTo(id: number, extension: string, desired: DesiredSettings): Promise<ApplyResult> {
    const planOptions = { extension, externalCalls: this.options.externalCalls.enabled };
    const before = await this.read(id, extension);
    const plan = planWrites(before, desired, planOptions);
    const wanted = desired.presence['3cx'].profile;
    this.options.vocabulary.learn(extension, profileKey(plan.profile, wanted), wanted);
    if (plan.changes.length === 0) return { changed: [] };
    await this.write(id, extension, plan);
    assertApplied(await this.read(id, extension), desired, planOptions);
    const changed = plan.changes.map((c) => c.setting);
    this.options.logger.debug({ extension, changed }, '3cx settings applied');
    return { changed };
  }

  /** The user's record; a cached id now carrying another number is stale (extension renumbered). */
  private async read(id: number, extension: string): Promise<UserSettings> {
    const user = await readUserSettings(this.client, id, extension);
    if (user.Number !== extension) throw unknownExtension(extension);
    return user;
  }

  private async write(id: number, extension: string, plan: WritePlan): Promise<void> {
    if (Object.keys(plan.patch).length > 0) await patchUser(this.client, id, extension, plan.patch);
    if (plan.profiles) await writeForwardingProfiles(this.client, id, extension, plan.profiles);
  }

  private noteExternalCallsOff(): void {
    if (this.options.externalCalls.enabled || this.externalCallsNoted) return;
    this.externalCallsNoted = true;
    this.options.logger.info(
      { setting: 'externalCalls.enabled' },
      '3cx external-call sync is off: desired externalCalls is not written (User.Internal is unverified)',
    );
  }
}

/** Anything still to change after the write was ignored by the PBX. */
function assertApplied(after: UserSettings, desired: DesiredSettings, options: PlanOptions): void {
  const left = planWrites(after, desired, options).changes;
  const first = left[0];
  if (!first) return;
  const fields = left.map((c) => c.field).join(', ');
  throw new PbxError(
    'PBX_FIELD_IGNORED',
    `3CX accepted the write for extension ${options.extension} but ignored ${fields} (read-back unchanged)`,
    { extension: options.extension, field: first.field },
  );
}
