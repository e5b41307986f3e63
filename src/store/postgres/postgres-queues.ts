import type { QueueStore } from "../ports/queue-store.ts";
import { PAUSE_HOLDER } from "../shared/gates.ts";
import type { PostgresDeps } from "./postgres-deps.ts";
import { GATES_LOCK } from "./postgres-monitors.ts";

// ── statements (queue_gates from migration 3; unqualified, resolved through search_path) ─────

const PAUSE =
  "INSERT INTO queue_gates (queue, monitor, closed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
const RESUME = "DELETE FROM queue_gates WHERE queue = $1 AND monitor = $2";
const STILL_CLOSED = "SELECT 1 FROM queue_gates WHERE queue = $1 LIMIT 1";

/** `store.queues` on PostgreSQL: a pause is the queue's gate held by PAUSE_HOLDER. */
export class PostgresQueues implements QueueStore {
  constructor(private readonly deps: PostgresDeps) {}

  async pauseQueue(queue: string, now: number): Promise<boolean> {
    return this.deps.transaction(async (c) => {
      await c.query(GATES_LOCK);
      return ((await c.query(PAUSE, [queue, PAUSE_HOLDER, now])).rowCount ?? 0) > 0;
    });
  }

  async resumeQueue(queue: string): Promise<boolean> {
    const wake = [{ queue, runAt: 0 }];
    const { resumed, open } = await this.deps.transaction(async (c) => {
      // The monitors' gate lock: whether the queue is open now is decided one gate write at a time.
      await c.query(GATES_LOCK);
      const resumed = ((await c.query(RESUME, [queue, PAUSE_HOLDER])).rowCount ?? 0) > 0;
      const open = (await c.query(STILL_CLOSED, [queue])).rowCount === 0;
      if (resumed && open) await this.deps.notify(c, wake);
      return { resumed, open };
    });
    if (resumed && open) this.deps.notifyLocal(wake);
    return resumed;
  }
}
