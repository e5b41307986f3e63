import type { SessionRow } from "../ports/rows.ts";
import type { StoreQueries } from "../ports/store-queries.ts";
import { PAUSE_HOLDER } from "../shared/gates.ts";
import { toSessionRow } from "../shared/rows.ts";
import type { PostgresDeps } from "./postgres-deps.ts";
import { PostgresReads } from "./postgres-reads.ts";

// ── statements (dashboard_sessions from migration 10, queue_gates from migration 3) ───────────

const SELECT_SESSION = "SELECT * FROM dashboard_sessions WHERE key = $1";
const PAUSED_QUEUES = "SELECT queue, closed_at FROM queue_gates WHERE monitor = $1 ORDER BY queue";

/** `store.queries` on PostgreSQL: every read, with the console's (dashboard sessions, paused queues). */
export class PostgresQueries extends PostgresReads implements StoreQueries {
  constructor(private readonly reader: Pick<PostgresDeps, "read">) {
    super(reader);
  }

  async getSession(key: string): Promise<SessionRow | null> {
    const [row] = await this.reader.read(SELECT_SESSION, [key]);
    return row ? toSessionRow(row) : null;
  }

  async listPausedQueues(): Promise<{ queue: string; pausedAt: number }[]> {
    return (await this.reader.read(PAUSED_QUEUES, [PAUSE_HOLDER])).map((r) => ({
      queue: r.queue as string,
      pausedAt: Number(r.closed_at),
    }));
  }
}
