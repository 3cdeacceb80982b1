import type { Condition, ObjectStatus } from '../ir/types.js';
import { refOf, type SourcedObject } from '../objects/envelope.js';
import { compareNumbers, compareStrings } from './order.js';

type ConditionType = Condition['type'];

const CONDITION_ORDER: readonly ConditionType[] = ['Accepted', 'ResolvedRefs', 'Programmed'];

interface Entry {
  readonly object: SourcedObject;
  readonly conditions: Map<ConditionType, Condition>;
  readonly warnings: string[];
}

/**
 * Collects the status of every object translation looked at. Entries are keyed by the SourcedObject itself
 * (not its ref) because duplicates share a ref yet each gets its own status. An entry that only received
 * warnings is reported as Accepted: the object is valid, something about its use deserves attention.
 */
export class StatusBook {
  readonly #entries = new Map<SourcedObject, Entry>();

  /** Sets (or replaces) one condition of `object`. */
  set(object: SourcedObject, type: ConditionType, status: boolean, reason: string, message: string): void {
    this.#entry(object).conditions.set(type, { type, status: status ? 'True' : 'False', reason, message });
  }

  /** Records that `object` was looked at and is valid: Accepted True, unless a condition was already set. */
  accept(object: SourcedObject): void {
    const conditions = this.#entry(object).conditions;
    if (!conditions.has('Accepted')) conditions.set('Accepted', IMPLICITLY_ACCEPTED);
  }

  /** Marks `object` as rejected: Accepted False with `reason`. */
  reject(object: SourcedObject, reason: string, message: string): void {
    this.set(object, 'Accepted', false, reason, message);
  }

  /** Adds a warning to `object`; a message it already has is not repeated (several routes may find the same). */
  warn(object: SourcedObject, message: string): void {
    const warnings = this.#entry(object).warnings;
    if (!warnings.includes(message)) warnings.push(message);
  }

  /** True when `object` was rejected (Accepted False). */
  isRejected(object: SourcedObject): boolean {
    return this.#entries.get(object)?.conditions.get('Accepted')?.status === 'False';
  }

  /** All statuses, sorted by ref (kind, namespace, name) and then by origin (file, line). */
  toStatuses(): ObjectStatus[] {
    const statuses = [...this.#entries.values()].map(toStatus);
    return statuses.sort(
      (a, b) =>
        compareStrings(a.ref.kind, b.ref.kind) ||
        compareStrings(a.ref.namespace, b.ref.namespace) ||
        compareStrings(a.ref.name, b.ref.name) ||
        compareStrings(a.origin?.file ?? '', b.origin?.file ?? '') ||
        compareNumbers(a.origin?.line ?? 0, b.origin?.line ?? 0),
    );
  }

  #entry(object: SourcedObject): Entry {
    let entry = this.#entries.get(object);
    if (entry === undefined) {
      entry = { object, conditions: new Map(), warnings: [] };
      this.#entries.set(object, entry);
    }
    return entry;
  }
}

const IMPLICITLY_ACCEPTED: Condition = {
  type: 'Accepted',
  status: 'True',
  reason: 'Accepted',
  message: 'accepted',
};

function toStatus(entry: Entry): ObjectStatus {
  const ref = refOf(entry.object.object);
  const conditions = CONDITION_ORDER.flatMap((type) => {
    const condition = entry.conditions.get(type) ?? (type === 'Accepted' ? IMPLICITLY_ACCEPTED : undefined);
    return condition === undefined ? [] : [condition];
  });
  const { file, line } = entry.object.origin;
  const origin = file === undefined && line === undefined ? undefined : { file, line };
  return {
    ref: { kind: ref.kind, namespace: ref.namespace, name: ref.name },
    ...(origin === undefined ? {} : { origin: pickDefined(origin) }),
    conditions,
    warnings: [...entry.warnings],
  };
}

function pickDefined(origin: { file: string | undefined; line: number | undefined }): ObjectStatus['origin'] {
  return {
    ...(origin.file === undefined ? {} : { file: origin.file }),
    ...(origin.line === undefined ? {} : { line: origin.line }),
  };
}
