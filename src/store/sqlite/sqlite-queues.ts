import type { QueueStore } from "../ports/queue-store.ts";
import { PAUSE_HOLDER } from "../shared/gates.ts";
import type { SqliteDeps } from "./sqlite-deps.ts";

// ── statements (queue_gates from migration 3) ───────────────────────────────

const PAUSE = "INSERT INTO queue_gates (queue, monitor, closed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
const RESUME = "DELETE FROM queue_gates WHERE queue = ? AND monitor = ?";
const STILL_CLOSED = "SELECT 1 FROM queue_gates WHERE queue = ? LIMIT 1";

/** `store.queues` on SQLite: a pause is the queue's gate held by PAUSE_HOLDER. */
export class SqliteQueues implements QueueStore {
  constructor(private readonly deps: SqliteDeps) {}

  pauseQueue(queue: string, now: number): Promise<boolean> {
    return this.deps.write(() => this.deps.stmt(PAUSE).run(queue, PAUSE_HOLDER, now).changes > 0);
  }

  async resumeQueue(queue: string): Promise<boolean> {
    const { stmt } = this.deps;
    const { resumed, open } = await this.deps.write(() => {
      const resumed = stmt(RESUME).run(queue, PAUSE_HOLDER).changes > 0;
      return { resumed, open: stmt(STILL_CLOSED).get(queue) === undefined };
    });
    // runAt 0: a sleeping pool wakes at once (other processes hear it through the wake sockets).
    if (resumed && open) this.deps.hint([{ queue, runAt: 0 }]);
    return resumed;
  }
}
