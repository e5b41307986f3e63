import type { CheckDefinitionRow, CheckRow, CheckStore, PingInput } from "../ports/checks.ts";
import { pingEffect, toCheckRow } from "../shared/alert-rows.ts";
import { storableText } from "../shared/storable-text.ts";
import type { PostgresDeps } from "./postgres-deps.ts";

// ── statements (tables from migration 9; unqualified, resolved through search_path) ──────────

const CHECK_KEYS = "SELECT key FROM checks";
const DELETE_CHECK = "DELETE FROM checks WHERE key = $1";
const DELETE_PINGS = "DELETE FROM check_pings WHERE check_key = $1";
const INSERT_CHECK = `INSERT INTO checks (key, trigger, grace_ms, token_hash, generated_token, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $6)
ON CONFLICT (key) DO UPDATE SET trigger = excluded.trigger, grace_ms = excluded.grace_ms,
  updated_at = excluded.updated_at`;
const SET_TOKEN =
  "UPDATE checks SET token_hash = $1, generated_token = NULL WHERE key = $2 AND token_hash <> $1";
const INSERT_PING = `INSERT INTO check_pings (check_key, at, kind, exit_code, duration_ms, body, remote)
VALUES ($1, $2, $3, $4, $5, $6, $7)`;
const UPDATE_ENDED = `UPDATE checks SET last_end_at = $1, last_end_ok = $2, pings = pings + 1, updated_at = $1,
  last_duration_ms = coalesce($3, last_duration_ms) WHERE key = $4 RETURNING *`;
const UPDATE_STARTED =
  "UPDATE checks SET last_start_at = $1, pings = pings + 1, updated_at = $1 WHERE key = $2 RETURNING *";
/** Serializes check syncs per schema: two processes starting at once insert the same rows. */
const CHECKS_LOCK = "SELECT pg_advisory_xact_lock(7412021, hashtext(current_schema()))";

/** `store.checks` on PostgreSQL: the checks and check_pings tables. */
export class PostgresChecks implements CheckStore {
  constructor(private readonly deps: PostgresDeps) {}

  async syncChecks(defs: readonly CheckDefinitionRow[], now: number): Promise<void> {
    await this.deps.transaction(async (c) => {
      await c.query(CHECKS_LOCK);
      const defined = new Set(defs.map((d) => d.key));
      for (const { key } of (await c.query(CHECK_KEYS)).rows) {
        if (defined.has(key as string)) continue;
        await c.query(DELETE_PINGS, [key]);
        await c.query(DELETE_CHECK, [key]);
      }
      for (const d of defs) {
        const hash = d.tokenHash ?? d.generatedTokenHash;
        await c.query(INSERT_CHECK, [
          d.key,
          d.trigger,
          d.graceMs,
          hash,
          d.tokenHash ? null : d.generatedToken,
          now,
        ]);
        if (d.tokenHash) await c.query(SET_TOKEN, [d.tokenHash, d.key]);
      }
    });
  }

  async recordPing(p: PingInput): Promise<CheckRow | null> {
    const effect = pingEffect(p.kind, p.exitCode);
    return this.deps.transaction(async (c) => {
      const { rows } = effect.ends
        ? await c.query(UPDATE_ENDED, [p.at, effect.ok, p.durationMs, p.checkKey])
        : await c.query(UPDATE_STARTED, [p.at, p.checkKey]);
      if (!rows[0]) return null;
      await c.query(INSERT_PING, [
        p.checkKey,
        p.at,
        p.kind,
        p.exitCode,
        p.durationMs,
        storableText(p.body),
        p.remote,
      ]);
      return toCheckRow(rows[0]);
    });
  }
}
