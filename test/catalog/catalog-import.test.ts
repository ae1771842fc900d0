/**
 * The importer's guarantees where the store says no after the check (catalog-import.ts): a delete refused at the
 * last moment stops the import before any type is changed or created, and the error says what was written before
 * it; renames that swap names are ordered so the unique-name index accepts each write. A recording fake store
 * stands in for Redis (the integration tests in test/api cover the real one).
 */
import { describe, expect, it } from 'vitest';
import { CatalogImporter } from '../../src/bridge/catalog/catalog-import.js';
import type { CatalogEntry } from '../../src/bridge/catalog/catalog-plan.js';
import type { StatusTypeStore } from '../../src/bridge/catalog/status-type-store.js';
import { ApiError } from '../../src/bridge/errors.js';
import { builtInStatusTypes, type StatusType } from '../../src/status/index.js';

const NOW = '2026-03-02T08:00:00.000Z';

function custom(id: string, name: string): StatusType {
  return {
    ...builtInStatusTypes(NOW).find((t) => t.id === 'on-break')!,
    id,
    name,
    builtIn: false,
    pbxPresence: { freepbx: { dnd: true, presence: 'away' }, '3cx': { profile: 'Away' } },
  };
}

/** What the store was asked to do, in order; `refuseDelete` makes delete of that id fail as a race would. */
function fakeStore(types: StatusType[], refuseDelete?: string) {
  const calls: string[] = [];
  const store = {
    list: async () => types,
    delete: async (id: string) => {
      if (id === refuseDelete)
        throw new ApiError('STATUS_TYPE_IN_USE', `1 user is in "${id}" or has it upcoming`, { id, users: 1 });
      calls.push(`delete ${id}`);
    },
    replace: async (current: StatusType, next: StatusType) => {
      calls.push(
        `replace ${current.id} v${current.version} "${current.name}" → "${next.name}" v${next.version}`,
      );
      return { statusType: next, warnings: [] };
    },
    create: async (entry: CatalogEntry) => {
      calls.push(`create ${entry.id}`);
      return { statusType: entry, warnings: [] };
    },
  };
  return { store: store as unknown as StatusTypeStore, calls };
}

const entryOf = (t: StatusType): CatalogEntry => {
  const { builtIn: _b, version: _v, createdAt: _c, updatedAt: _u, ...rest } = t;
  return rest;
};

describe('catalogue import against a store that refuses', () => {
  const current = [
    ...builtInStatusTypes(NOW),
    custom('a', 'Alpha'),
    custom('b', 'Beta'),
    custom('c', 'Gamma'),
  ];

  it('a delete refused after the check stops the import before any change or create; details.done says what stays', async () => {
    const { store, calls } = fakeStore(current, 'b');
    const importer = new CatalogImporter({ store, usage: async () => 0, configFields: () => [] });
    const doc = current.filter((t) => t.id === 'active' || t.id === 'c').map(entryOf);
    doc[0]!.color = '#000000';
    doc.push({ ...entryOf(custom('d', 'Delta')) });
    const error = await importer.import(doc).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('STATUS_TYPE_IN_USE');
    expect((error as ApiError).details).toMatchObject({
      id: 'b',
      users: 1,
      done: { deleted: ['a'], changed: [], created: [] },
    });
    expect(calls).toEqual(['delete a']);
  });

  it('swapped names: one type is moved aside under a temporary name, then each takes its new name', async () => {
    const { store, calls } = fakeStore(current);
    const importer = new CatalogImporter({ store, usage: async () => 0, configFields: () => [] });
    const doc = current.map(entryOf);
    doc.find((t) => t.id === 'a')!.name = 'Beta';
    doc.find((t) => t.id === 'b')!.name = 'Alpha';
    const report = await importer.import(doc);
    expect(report.changed.map((c) => c.id)).toEqual(['a', 'b']);
    expect(calls).toEqual([
      'replace a v1 "Alpha" → "~a" v2',
      'replace b v1 "Beta" → "Alpha" v2',
      'replace a v2 "~a" → "Beta" v3',
    ]);
  });

  it('a rename onto a name another type is leaving waits for that one', async () => {
    const { store, calls } = fakeStore(current);
    const importer = new CatalogImporter({ store, usage: async () => 0, configFields: () => [] });
    const doc = current.map(entryOf);
    doc.find((t) => t.id === 'a')!.name = 'Beta';
    doc.find((t) => t.id === 'b')!.name = 'Omega';
    await importer.import(doc);
    expect(calls).toEqual(['replace b v1 "Beta" → "Omega" v2', 'replace a v1 "Alpha" → "Beta" v2']);
  });
});
