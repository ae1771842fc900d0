/**
 * Builds the time-in-status report from Redis: each user's state (for the open span and open activities), stored
 * history spans and activity log, then the pure computation in time-in-status.ts. Without a user id it pages
 * through every user in id order, a page at a time, so memory stays bounded by the page, not the directory.
 */
import { openSpan, type Catalog, type UserState } from '../../status/index.js';
import type { CatalogCache } from '../catalog/catalog-cache.js';
import { ApiError } from '../errors.js';
import type { UserStore } from '../users/user-store.js';
import type { Interval } from './intervals.js';
import { missedOffersIn } from './missed-offers.js';
import { timeInStatus, traitsOf, type UserHistory, type UserTimeInStatus } from './time-in-status.js';

/** One user's row: time in status, plus the offers they let ring out in the window. */
export type UserReport = UserTimeInStatus & { missedOffers: number };

export interface TimeInStatusReport {
  from: string;
  to: string;
  generatedAt: string;
  users: UserReport[];
}

export interface ReportRequest {
  from: string;
  to: string;
  userId?: string | undefined;
}

const PAGE_SIZE = 200;
/** More than the store ever keeps per user: read each list whole (Redis caps them at the history limit). */
const READ_ALL = 1_000_000;

/** The reads a report needs (narrow, so a report can be built from any store holding the same data). */
export type ReportStore = Pick<
  UserStore,
  'load' | 'loadMany' | 'pageIds' | 'history' | 'activityLog' | 'missedOfferLog'
>;

export class TimeInStatusReports {
  constructor(
    private readonly store: ReportStore,
    private readonly catalog: Pick<CatalogCache, 'get'>,
    private readonly clock: () => Date = () => new Date(),
    private readonly pageSize = PAGE_SIZE,
  ) {}

  async build(request: ReportRequest): Promise<TimeInStatusReport> {
    const now = this.clock();
    const window = { start: Date.parse(request.from), end: Date.parse(request.to) };
    const catalog = await this.catalog.get();
    const traits = traitsOf(catalog.values());
    const report = async (state: UserState): Promise<UserReport> => ({
      ...timeInStatus(await this.history(state, catalog, now), window, now.getTime(), traits),
      missedOffers: await this.missedOffers(state.id, window),
    });
    const states = request.userId ? [await this.requireUser(request.userId)] : null;
    const users = states ? await Promise.all(states.map(report)) : await this.everyUser(report);
    return {
      from: new Date(window.start).toISOString(),
      to: new Date(window.end).toISOString(),
      generatedAt: now.toISOString(),
      users,
    };
  }

  private async requireUser(userId: string): Promise<UserState> {
    const state = await this.store.load(userId);
    if (!state) throw new ApiError('USER_NOT_FOUND', `no user "${userId}"`, { id: userId });
    return state;
  }

  private async everyUser<T>(each: (state: UserState) => Promise<T>): Promise<T[]> {
    const results: T[] = [];
    let cursor: string | undefined;
    for (;;) {
      const { ids, more } = await this.store.pageIds(this.pageSize, cursor);
      // A user deleted between listing and loading is simply not in the report.
      const states = (await this.store.loadMany(ids)).filter((s): s is UserState => s !== null);
      results.push(...(await Promise.all(states.map(each))));
      cursor = ids[ids.length - 1];
      if (!more || cursor === undefined) return results;
      // Between pages, let waiting requests (agents' writes) run: a long report must not hold the event loop.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async missedOffers(userId: string, window: Interval): Promise<number> {
    return missedOffersIn(await this.store.missedOfferLog(userId, READ_ALL), window);
  }

  private async history(state: UserState, catalog: Catalog, now: Date): Promise<UserHistory> {
    const [stored, ended] = await Promise.all([
      this.store.history(state.id, READ_ALL),
      this.store.activityLog(state.id, READ_ALL),
    ]);
    return {
      userId: state.id,
      displayName: state.directory.displayName,
      spans: [openSpan(state, catalog, now.toISOString()), ...stored],
      activities: [
        ...ended.map((a) => ({
          from: a.from,
          to: a.to,
          kind: a.kind,
          ...(a.cause ? { cause: a.cause } : {}),
        })),
        ...state.activities.map((a) => ({ from: a.since, to: null, kind: a.kind })),
        // A wrap-up still running counts up to now (its `until` when that is already past).
        ...(state.wrapUp ? [runningWrapUp(state.wrapUp, now)] : []),
      ],
    };
  }
}

function runningWrapUp(wrapUp: NonNullable<UserState['wrapUp']>, now: Date) {
  const until = Date.parse(wrapUp.until);
  return { from: wrapUp.since, to: until < now.getTime() ? wrapUp.until : null, kind: 'wrap-up' };
}
