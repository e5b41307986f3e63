import pg from "pg";
import type { JobsInsertedHint } from "../store.ts";
import { JOBS_CHANNEL, LISTEN_JOBS } from "./postgres-sql.ts";

/**
 * A NOTIFY payload on the shared channel. `schema` keeps several tickflow schemas in one database
 * apart; `origin` names the store that sent it, which already told its own listeners in process.
 */
interface HintMessage {
  schema: string;
  origin: string | null;
  queues: string[];
  earliestRunAt: number;
}

/** NOTIFY payloads must stay under 8000 bytes; past this many we say "every queue" instead. */
const MAX_PAYLOAD_CHARS = 7_000;

/** Builds the hint listeners receive for these jobs; an empty queue name means "unknown queue". */
export function hintFor(jobs: readonly { queue: string; runAt: number }[]): JobsInsertedHint {
  const queues = jobs.some((j) => j.queue === "") ? [] : [...new Set(jobs.map((j) => j.queue))];
  const earliestRunAt = jobs.reduce((min, j) => Math.min(min, j.runAt), Number.POSITIVE_INFINITY);
  return { queues, earliestRunAt };
}

export function encodeHint(schema: string, origin: string | null, hint: JobsInsertedHint): string {
  const message: HintMessage = { schema, origin, ...hint };
  const text = JSON.stringify(message);
  return text.length <= MAX_PAYLOAD_CHARS ? text : JSON.stringify({ ...message, queues: [] });
}

export function decodeHint(payload: string): HintMessage | null {
  try {
    const m = JSON.parse(payload) as Partial<HintMessage>;
    const valid =
      typeof m.schema === "string" &&
      (m.origin === null || typeof m.origin === "string") &&
      Array.isArray(m.queues) &&
      m.queues.every((q) => typeof q === "string") &&
      typeof m.earliestRunAt === "number";
    return valid ? (m as HintMessage) : null;
  } catch {
    return null;
  }
}

export interface JobsListenerOptions {
  connection: pg.ClientConfig;
  /** A decoded payload arrived on the channel. */
  onMessage(message: HintMessage): void;
  /** LISTEN is (again) active after a gap in which notifications may have been missed. */
  onResumed(): void;
  onError(error: Error, where: string): void;
}

/** Reconnect delays: 100 ms doubling to 5 s, so a restarting server is polled ~6 times in its first 10 s. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/**
 * One dedicated connection running `LISTEN tickflow_jobs` (a pooled connection cannot hold a
 * LISTEN: it would be handed to other queries). When it drops — backend terminated, server
 * restarted, network lost — it reconnects with backoff; errors are reported, never thrown.
 */
export class JobsListener {
  private client: pg.Client | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;
  private started = false;
  private stopped = false;
  private hadGap = false;

  constructor(private readonly options: JobsListenerOptions) {}

  /** Idempotent: the first call connects, later calls do nothing. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client(this.options.connection);
    this.client = client;
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (error && !this.stopped) this.options.onError(error, "listener");
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    // The 'error' handler stays attached for the client's whole life: an 'error' event without
    // a listener would crash the process.
    client.on("error", onLost);
    client.on("end", () => onLost());
    client.on("notification", (n) => {
      if (n.channel !== JOBS_CHANNEL || !n.payload) return;
      const message = decodeHint(n.payload);
      if (message) this.options.onMessage(message);
    });
    try {
      await client.connect();
      await client.query(LISTEN_JOBS);
    } catch (error) {
      onLost(error as Error);
      return;
    }
    if (this.stopped || lost) {
      await client.end().catch(() => undefined);
      return;
    }
    this.retryMs = FIRST_RETRY_MS;
    if (this.hadGap) this.options.onResumed();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.hadGap = true;
    clearTimeout(this.retryTimer);
    // ±20 % jitter so the listeners of many processes do not reconnect in lockstep after a restart.
    const delay = this.retryMs * (0.8 + Math.random() * 0.4);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }
}
