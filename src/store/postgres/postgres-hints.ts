import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type pg from "pg";
import type { JobsInsertedHint } from "../store.ts";
import { encodeHint, hintFor, JobsListener } from "./postgres-listener.ts";
import { JOBS_CHANNEL, NOTIFY } from "./postgres-sql.ts";

/** Jobs that became claimable: their queues and due times are what a hint carries. */
export type Hinted = readonly { queue: string; runAt: number }[];

export interface PostgresHintsOptions {
  schema: string;
  /** How to open the LISTEN connection. */
  connection: pg.ClientConfig;
  /** One autocommit statement on the store's pool (for a NOTIFY after a committed write). */
  write(text: string, values: unknown[]): Promise<unknown>;
  onError: (error: Error, where: string) => void;
}

/**
 * "Jobs were inserted" hints, both ways: told to this store's own subscribers at once, and to
 * other processes by NOTIFY (inside the writing transaction, so they hear it when it commits);
 * heard from other processes through one LISTEN connection, opened on the first subscription.
 * The methods are bound, so sub-stores take them as their dependencies directly.
 */
export class PostgresHints {
  private readonly emitter = new EventEmitter();
  /** Names this store in its NOTIFY payloads: it already told its own subscribers. */
  private readonly origin = randomUUID();
  private readonly listener: JobsListener;
  private closed = false;

  constructor(private readonly options: PostgresHintsOptions) {
    this.emitter.setMaxListeners(0);
    this.listener = new JobsListener({
      connection: options.connection,
      onMessage: (m) => {
        if (m.schema === options.schema && m.origin !== this.origin) {
          this.emitter.emit("jobs", { queues: m.queues, earliestRunAt: m.earliestRunAt });
        }
      },
      // Notifications sent while LISTEN was down are lost: wake everyone to look once.
      onResumed: () => this.emitter.emit("jobs", { queues: [], earliestRunAt: 0 } satisfies JobsInsertedHint),
      onError: options.onError,
    });
  }

  subscribe(listener: (hint: JobsInsertedHint) => void): () => void {
    this.emitter.on("jobs", listener);
    if (!this.closed) this.listener.start();
    return () => this.emitter.off("jobs", listener);
  }

  /**
   * The NOTIFY payload for jobs about to be written. On a caller's client (`fromCaller`) it names no
   * origin: this store then hears it back through LISTEN, and only if the caller commits.
   */
  payload(jobs: Hinted, fromCaller = false): string {
    return encodeHint(this.options.schema, fromCaller ? null : this.origin, hintFor(jobs));
  }

  /** This store's own subscribers (its NOTIFYs are not echoed back to it). */
  readonly notifyLocal = (jobs: Hinted): void => {
    if (jobs.length > 0 && this.emitter.listenerCount("jobs") > 0) this.emitter.emit("jobs", hintFor(jobs));
  };

  /** NOTIFY inside the caller's transaction: other processes hear it when (if) it commits. */
  readonly notify = async (
    client: { query(text: string, values: unknown[]): Promise<unknown> },
    jobs: Hinted,
  ) => {
    if (jobs.length === 0) return;
    await client.query(NOTIFY, [JOBS_CHANNEL, this.payload(jobs)]);
  };

  /**
   * Hints after an autocommit write: this store's subscribers at once, other processes by NOTIFY.
   * Best effort: the write is committed and pollers will find the jobs, so a failed NOTIFY is
   * reported, never thrown (a caller would take it for a failed write and redo it).
   */
  async notifyAfterCommit(jobs: Hinted): Promise<void> {
    if (jobs.length === 0) return;
    this.notifyLocal(jobs);
    await this.options.write(NOTIFY, [JOBS_CHANNEL, this.payload(jobs)]).catch((error: Error) => {
      this.options.onError(error, "notify");
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.emitter.removeAllListeners();
    await this.listener.stop();
  }
}
