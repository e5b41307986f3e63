import type { PingKind } from "../../core/check-state.ts";

/**
 * The store side of check-ins (spec §12): each check's definition, ping token (stored as its
 * SHA-256, looked up by that), its last pings, and every ping with its log body.
 * `store.checks` on every adapter; its reads are on `queries` (CheckQueries below).
 */
export interface CheckStore {
  /**
   * Reconciles the checks defined in code, in one transaction: new ones are inserted, changed
   * definitions updated (pings kept), checks missing from `defs` deleted (their pings too).
   * A check's token hash is replaced when its definition brings one; a check defined without a
   * token keeps the one generated for it (`generatedToken` is used only on first insert).
   */
  syncChecks(defs: readonly CheckDefinitionRow[], now: number): Promise<void>;
  /** Records one ping and updates the check's last pings; returns the updated check, or null when unknown. */
  recordPing(ping: PingInput): Promise<CheckRow | null>;
}

export interface CheckDefinitionRow {
  key: string;
  /** The core/check-state CheckTrigger as JSON text. */
  trigger: string;
  graceMs: number;
  /** SHA-256 (hex) of the configured token, or null to keep/generate one. */
  tokenHash: string | null;
  /** A fresh random token, stored (with its hash) only when the check is new and has no configured token. */
  generatedToken: string;
  generatedTokenHash: string;
}

export interface PingInput {
  checkKey: string;
  at: number;
  kind: PingKind;
  exitCode: number | null;
  /** The request body (≤ 10 KB), the run's log. */
  body: string;
  /** The run time, start to success, when known. */
  durationMs: number | null;
  /** The pinging client's address. */
  remote: string | null;
}

export interface CheckRow {
  key: string;
  trigger: string;
  graceMs: number;
  tokenHash: string;
  /** The generated token (to show the ping URL to its owner), null for a configured one. */
  generatedToken: string | null;
  lastEndAt: number | null;
  lastEndOk: boolean | null;
  lastStartAt: number | null;
  lastDurationMs: number | null;
  pings: number;
  createdAt: number;
  updatedAt: number;
}

export interface PingRow extends Omit<PingInput, "checkKey"> {
  id: string;
  checkKey: string;
}

/** The reads of check-ins (part of StoreQueries). */
export interface CheckQueries {
  listChecks(): Promise<CheckRow[]>;
  getCheck(key: string): Promise<CheckRow | null>;
  /** The check whose token hashes to `tokenHash`, or null. */
  getCheckByTokenHash(tokenHash: string): Promise<CheckRow | null>;
  /** Newest first; default 50. */
  listPings(checkKey: string, options?: { limit?: number }): Promise<PingRow[]>;
}
