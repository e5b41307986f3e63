/**
 * Liveness and readiness of a tickflow process (`GET /health`, docs/operations.md), judged from its
 * components' statuses. Pure: the HTTP route gathers the statuses and passes `now`.
 *
 * - **Liveness** — "restart me if this is false": the process runs its services (started, not
 *   stopping). Nothing outside the process (database, upstreams, other schedulers) decides it, so a
 *   database outage never makes an orchestrator restart every instance at once.
 * - **Readiness** — "send me traffic / count me as working": the store answers, this process's
 *   scheduler runs (when it runs one), the heartbeat pair is `ok` or `interrupted`, and the event
 *   loop has not stalled within its hold window. During the startup grace a heartbeat that is
 *   not ok yet does not fail readiness (it is reported `starting`): a restart waits it out.
 * - Upstream monitors and schedule health are reported, never judged: an OFFLINE dependency or a
 *   failing user job is not a reason to take tickflow out of service.
 */

export type ComponentStatus =
  | "ok"
  | "interrupted"
  | "late"
  | "missing"
  | "fail"
  | "stopped"
  | "degraded"
  | "starting";

/** Statuses that keep a judged component ready. */
const READY: ReadonlySet<ComponentStatus> = new Set(["ok", "interrupted", "starting"]);

export interface ReadinessComponent {
  status: ComponentStatus;
  /** Reported only: does not take part in readiness (monitors, schedules). */
  reportedOnly?: boolean;
  /** May be excused during the startup grace (the heartbeat). */
  graceable?: boolean;
}

export interface ReadinessInput {
  components: Record<string, ReadinessComponent>;
  lifecycle: "idle" | "running" | "stopping" | "stopped";
  /** When this process started its services; null when not started. */
  startedAt: number | null;
  startupGraceMs: number;
  now: number;
}

export interface Readiness {
  live: boolean;
  ready: boolean;
  /** Inside the startup grace. */
  starting: boolean;
  /** The judged components that are not ready, by name. */
  notReady: string[];
}

/** The default startup grace: the heartbeat's event delay plus grace (10 s + 5 s). */
export const DEFAULT_STARTUP_GRACE_MS = 15_000;

export function judgeReadiness(input: ReadinessInput): Readiness {
  const live = input.lifecycle === "running" || input.lifecycle === "idle";
  const starting = input.startedAt !== null && input.now - input.startedAt < input.startupGraceMs;
  const notReady: string[] = [];
  for (const [name, c] of Object.entries(input.components)) {
    if (c.reportedOnly) continue;
    if (READY.has(c.status)) continue;
    if (starting && c.graceable) continue;
    notReady.push(name);
  }
  if (input.lifecycle !== "running" && input.lifecycle !== "idle") notReady.push("lifecycle");
  return { live, ready: notReady.length === 0, starting, notReady };
}
