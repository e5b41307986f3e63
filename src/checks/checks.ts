import { secretsEqual } from "../alerts/secrets.ts";
import {
  type CheckState,
  type CheckTrigger,
  checkStatus,
  type PingKind,
  runTimeMs,
} from "../core/check-state.ts";
import { InvalidOptionError } from "../errors.ts";
import type { Feature } from "../feature.ts";
import type { CheckRow, PingRow } from "../store/ports/checks.ts";
import type { Store } from "../store/store.ts";
import {
  type CheckDefinition,
  type CheckOptions,
  defineCheck,
  hashToken,
  toCheckDefinitionRow,
} from "./define-check.ts";

/** A ping's log is kept up to this many bytes (the HTTP endpoint answers 413 above it). */
export const PING_BODY_LIMIT_BYTES = 10 * 1024;

/** What `checks.status()` reports per check: its definition, last pings and computed state. */
export interface CheckStatusView {
  key: string;
  state: CheckState;
  trigger: CheckTrigger;
  graceMs: number;
  /** When the next success is expected; null before the first ping. */
  dueAt: number | null;
  /** When it goes down without a success; null before the first ping or when already down by a failure. */
  downAt: number | null;
  lastEndAt: number | null;
  lastEndOk: boolean | null;
  lastStartAt: number | null;
  lastDurationMs: number | null;
  pings: number;
}

export interface PingDetails {
  exitCode?: number | null;
  body?: string;
  remote?: string | null;
}

/** What the checks need from their Tickflow. */
export interface ChecksHost {
  readonly store: Store;
  now(): number;
}

/**
 * The check-ins of one Tickflow (`tickflow.checks`): definitions synced to the store at start,
 * pings recorded by token (the HTTP endpoints) or by key (`tickflow exec` on the same database),
 * and states computed by core/check-state from the stored last pings and the clock.
 */
export class Checks implements Feature {
  readonly name = "checks";
  private readonly definitions = new Map<string, CheckDefinition>();

  constructor(
    private readonly host: ChecksHost,
    private readonly env: Record<string, string | undefined> = {},
  ) {}

  add(input: CheckOptions | CheckDefinition): CheckDefinition {
    const definition = defineCheck(input as CheckOptions, this.env);
    if (this.definitions.has(definition.key)) {
      throw new InvalidOptionError(`check "${definition.key}" is defined twice`);
    }
    this.definitions.set(definition.key, definition);
    return definition;
  }

  list(): CheckDefinition[] {
    return [...this.definitions.values()];
  }

  async sync(now: number): Promise<void> {
    await this.host.store.checks.syncChecks(this.list().map(toCheckDefinitionRow), now);
  }

  /** Every stored check with its state now. */
  async status(): Promise<CheckStatusView[]> {
    const now = this.host.now();
    return (await this.host.store.queries.listChecks()).map((row) => view(row, now));
  }

  async get(key: string): Promise<CheckStatusView | null> {
    const row = await this.host.store.queries.getCheck(key);
    return row ? view(row, this.host.now()) : null;
  }

  /** A check's pings, newest first (their bodies are the runs' logs). */
  pings(key: string, options?: { limit?: number }): Promise<PingRow[]> {
    return this.host.store.queries.listPings(key, options);
  }

  /**
   * Records a ping that came with `token`. Returns null, having written nothing, for a token no
   * check has: the caller must not say whether the check exists.
   */
  async pingByToken(
    token: string,
    kind: PingKind,
    details: PingDetails = {},
  ): Promise<CheckStatusView | null> {
    const hash = hashToken(token);
    const row = await this.host.store.queries.getCheckByTokenHash(hash);
    // The lookup is by digest; the comparison again in constant time, so no timing tells a near miss.
    if (!row || !secretsEqual(hash, row.tokenHash)) return null;
    return this.record(row, kind, details);
  }

  /** Records a ping for the check `key` (trusted callers: `tickflow exec` on the database). */
  async pingByKey(key: string, kind: PingKind, details: PingDetails = {}): Promise<CheckStatusView | null> {
    const row = await this.host.store.queries.getCheck(key);
    return row ? this.record(row, kind, details) : null;
  }

  private async record(row: CheckRow, kind: PingKind, details: PingDetails): Promise<CheckStatusView | null> {
    const at = this.host.now();
    const ends = kind !== "start";
    const running = row.lastStartAt !== null && (row.lastEndAt === null || row.lastStartAt > row.lastEndAt);
    const ok = kind === "success" || (kind === "exit" && details.exitCode === 0);
    const updated = await this.host.store.checks.recordPing({
      checkKey: row.key,
      at,
      kind,
      exitCode: details.exitCode ?? null,
      body: storableLog(details.body ?? ""),
      durationMs: ends && ok && running ? runTimeMs(row.lastStartAt, at) : null,
      remote: details.remote ?? null,
    });
    return updated ? view(updated, at) : null;
  }
}

/** The newest PING_BODY_LIMIT_BYTES of a log (the stores replace what text columns cannot hold). */
export function storableLog(text: string): string {
  if (Buffer.byteLength(text) <= PING_BODY_LIMIT_BYTES) return text;
  return Buffer.from(text).subarray(-PING_BODY_LIMIT_BYTES).toString("utf8");
}

function view(row: CheckRow, now: number): CheckStatusView {
  const trigger = JSON.parse(row.trigger) as CheckTrigger;
  const lastEnd = row.lastEndAt === null ? null : { at: row.lastEndAt, ok: row.lastEndOk === true };
  const status = checkStatus({ trigger, graceMs: row.graceMs, lastEnd, lastStartAt: row.lastStartAt }, now);
  return {
    key: row.key,
    state: status.state,
    trigger,
    graceMs: row.graceMs,
    dueAt: status.dueAt,
    downAt: status.downAt,
    lastEndAt: row.lastEndAt,
    lastEndOk: row.lastEndOk,
    lastStartAt: row.lastStartAt,
    lastDurationMs: row.lastDurationMs,
    pings: row.pings,
  };
}
