import type { CheckDefinitionRow, CheckRow, CheckStore, PingInput } from "../ports/checks.ts";
import { pingEffect, toCheckRow } from "../shared/alert-rows.ts";
import { storableText } from "../shared/storable-text.ts";
import type { Row, SqliteDeps } from "./sqlite-deps.ts";

// ── statements (tables from migration 9) ────────────────────────────────────

const CHECK_KEYS = "SELECT key FROM checks";
const DELETE_CHECK = "DELETE FROM checks WHERE key = ?";
const DELETE_PINGS = "DELETE FROM check_pings WHERE check_key = ?";
const INSERT_CHECK = `INSERT INTO checks (key, trigger, grace_ms, token_hash, generated_token, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET trigger = excluded.trigger, grace_ms = excluded.grace_ms,
         updated_at = excluded.updated_at`;
const SET_TOKEN =
  "UPDATE checks SET token_hash = ?, generated_token = NULL WHERE key = ? AND token_hash <> ?";
const INSERT_PING = `INSERT INTO check_pings (check_key, at, kind, exit_code, duration_ms, body, remote)
       VALUES (?, ?, ?, ?, ?, ?, ?)`;
const UPDATE_ENDED = `UPDATE checks SET last_end_at = ?, last_end_ok = ?, pings = pings + 1, updated_at = ?,
         last_duration_ms = coalesce(?, last_duration_ms) WHERE key = ? RETURNING *`;
const UPDATE_STARTED =
  "UPDATE checks SET last_start_at = ?, pings = pings + 1, updated_at = ? WHERE key = ? RETURNING *";

/** `store.checks` on SQLite: the checks and check_pings tables (migration 9). */
export class SqliteChecks implements CheckStore {
  constructor(private readonly deps: SqliteDeps) {}

  async syncChecks(defs: readonly CheckDefinitionRow[], now: number): Promise<void> {
    const { stmt } = this.deps;
    await this.deps.write(() => {
      const defined = new Set(defs.map((d) => d.key));
      for (const key of stmt(CHECK_KEYS).pluck().all() as string[]) {
        if (defined.has(key)) continue;
        stmt(DELETE_PINGS).run(key);
        stmt(DELETE_CHECK).run(key);
      }
      for (const d of defs) {
        const hash = d.tokenHash ?? d.generatedTokenHash;
        stmt(INSERT_CHECK).run(
          d.key,
          d.trigger,
          d.graceMs,
          hash,
          d.tokenHash ? null : d.generatedToken,
          now,
          now,
        );
        if (d.tokenHash) stmt(SET_TOKEN).run(d.tokenHash, d.key, d.tokenHash);
      }
    });
  }

  async recordPing(p: PingInput): Promise<CheckRow | null> {
    const { stmt } = this.deps;
    const effect = pingEffect(p.kind, p.exitCode);
    return this.deps.write(() => {
      const row = effect.ends
        ? (stmt(UPDATE_ENDED).get(p.at, effect.ok ? 1 : 0, p.at, p.durationMs, p.checkKey) as Row | undefined)
        : (stmt(UPDATE_STARTED).get(p.at, p.at, p.checkKey) as Row | undefined);
      if (!row) return null;
      stmt(INSERT_PING).run(
        p.checkKey,
        p.at,
        p.kind,
        p.exitCode,
        p.durationMs,
        storableText(p.body),
        p.remote,
      );
      return toCheckRow(row);
    });
  }
}
