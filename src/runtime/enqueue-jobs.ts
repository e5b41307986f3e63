import { TickflowError } from "../errors.ts";
import type { TickflowEvents } from "../events.ts";
import type { InsertResult } from "../store/ports/job-store.ts";
import { leasableOnInsert } from "../store/shared/insert-lease.ts";
import type { Store } from "../store/store.ts";
import type { EnqueueManyItem } from "../tickflow-options.ts";
import { type Engine, reserveInsertSlot } from "./engine.ts";
import { buildJobInserts, checkEnqueueManyItems, reportEnqueued, typeName } from "./enqueue.ts";
import type { JobRegistry } from "./registry.ts";

export interface EnqueueDeps {
  store: Store;
  registry: JobRegistry;
  events: TickflowEvents;
  /** The running engine, for the one-round-trip path (undefined before start). */
  engine: Engine | undefined;
  /** A job some limit covers is never inserted leased: the claim must count it against the limit. */
  limits?: { covers(job: { queue: string; type: string }): boolean };
}

/** Enqueues many jobs in one transaction: all are validated first; all or none are written. */
export async function enqueueJobs(
  deps: EnqueueDeps,
  items: readonly EnqueueManyItem[],
  now: number,
): Promise<string[]> {
  const { store, registry, events } = deps;
  checkEnqueueManyItems(items);
  const inserts = buildJobInserts(
    registry,
    items.map((item) => ({ type: typeName(item.type), payload: item.payload, options: item.options })),
    now,
  );
  const client = items.find((item) => item.options?.client !== undefined)?.options?.client;
  if (client !== undefined && !store.capabilities.transactionalEnqueue) {
    throw new TickflowError(
      "UNSUPPORTED",
      `enqueue with a client needs a store with transactional enqueue (this is ${store.dialect})`,
    );
  }
  // One due job onto this process's idle worker (the reserved lane first for its queues): inserted
  // already leased to it and started here, one round trip instead of an insert and then a claim.
  const only = inserts.length === 1 ? inserts[0] : undefined;
  const slot =
    only && client === undefined && leasableOnInsert(only, now) && !deps.limits?.covers(only)
      ? reserveInsertSlot(deps.engine, only.queue)
      : null;
  let results: InsertResult[];
  try {
    results = await store.jobs.insertJobs(
      inserts,
      now,
      client === undefined ? { leaseTo: slot?.lease } : { client },
    );
  } catch (error) {
    slot?.pool.unreserve();
    throw error;
  }
  reportEnqueued(events, inserts, results);
  if (slot) {
    const claimed = results[0]?.claimed;
    if (claimed) slot.pool.adopt(claimed);
    else slot.pool.unreserve();
  }
  return results.map((r) => r.id);
}
