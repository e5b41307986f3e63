import type { SessionRow } from "../ports/rows.ts";
import type { StoreQueries } from "../ports/store-queries.ts";
import { PAUSE_HOLDER } from "../shared/gates.ts";
import { toSessionRow } from "../shared/rows.ts";
import type { Row, SqliteDeps } from "./sqlite-deps.ts";
import { SqliteReads } from "./sqlite-reads.ts";

// ── statements (dashboard_sessions from migration 10, queue_gates from migration 3) ───────────

const SELECT_SESSION = "SELECT * FROM dashboard_sessions WHERE key = ?";
const PAUSED_QUEUES = "SELECT queue, closed_at FROM queue_gates WHERE monitor = ? ORDER BY queue";

/** `store.queries` on SQLite: every read, with the console's (dashboard sessions, paused queues). */
export class SqliteQueries extends SqliteReads implements StoreQueries {
  constructor(private readonly statements: Pick<SqliteDeps, "stmt">) {
    super(statements);
  }

  async getSession(key: string): Promise<SessionRow | null> {
    const row = this.statements.stmt(SELECT_SESSION).get(key) as Row | undefined;
    return row ? toSessionRow(row) : null;
  }

  async listPausedQueues(): Promise<{ queue: string; pausedAt: number }[]> {
    return (this.statements.stmt(PAUSED_QUEUES).all(PAUSE_HOLDER) as Row[]).map((r) => ({
      queue: r.queue as string,
      pausedAt: r.closed_at as number,
    }));
  }
}
