/**
 * Worker lanes (spec §11). `user`: ordinary jobs. `system`: tickflow's own proof-of-liveness work
 * (heartbeat jobs, monitor checks, alert deliveries), served by reserved slots user jobs cannot take.
 */
export type JobLane = "user" | "system";

/** Queue of the system job types that do not name one (the heartbeat jobs). */
export const SYSTEM_QUEUE = "tickflow.system";
