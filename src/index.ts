export { loadConfig } from "./config/load.ts";
export { defineConfig, type TickflowConfig } from "./config/schema.ts";
export { type BackoffOption, DEFAULT_BACKOFF, retryDelayMs } from "./core/backoff.ts";
export type { Clock } from "./core/clock.ts";
export { type Duration, parseDuration } from "./core/duration.ts";
export {
  FLOW_RUN_STATUSES,
  type FlowLastRunStatus,
  type FlowRunStats,
  type FlowRunStatus,
  TRIGGER_SOURCES,
  type TriggerSource,
} from "./core/flow-run-state.ts";
export {
  type ClassifyHeartbeatInput,
  classifyHeartbeat,
  DEFAULT_HEARTBEAT_GRACE_MS,
  HEARTBEAT_PERIOD_MS,
  type HeartbeatBeat,
  type HeartbeatHealth,
  type HeartbeatHealthStatus,
} from "./core/heartbeat-health.ts";
export {
  DEFAULT_THRESHOLDS,
  type HysteresisThresholds,
  MONITOR_STATES,
  type MonitorState,
  step as stepHysteresis,
} from "./core/hysteresis.ts";
export type { LimitRule, RateRule } from "./core/job-limits.ts";
export { JOB_STATES, type JobState, RUN_OUTCOMES, type RunOutcome } from "./core/job-state.ts";
export type { LimitOptions } from "./core/limit-options.ts";
export {
  MISFIRE_POLICIES,
  type MisfirePolicy,
  OVERLAP_POLICIES,
  type OverlapPolicy,
} from "./core/misfire.ts";
export { previewFireTimes } from "./core/triggers.ts";
export * from "./errors.ts";
export type { FlowEventMap, FlowRunEvent } from "./events.ts";
export {
  type MonitorCheckEvent,
  type MonitorTransitionEvent,
  type TickflowEventMap,
  type TickflowEventName,
  TickflowEvents,
} from "./events.ts";
export { defineFlow, type FlowContext, type FlowDefinition, type FlowOptions } from "./flows/define-flow.ts";
export type { FlowService, FlowStatus, TriggerOptions } from "./flows/flow-service.ts";
export { DEFAULT_FLOWS_DIR, loadFlowsFromDir } from "./flows/load-flows.ts";
export { FLOW_RUN_JOB } from "./flows/sync-flows.ts";
export type { FlowTriggerAnswer } from "./flows/trigger-flow.ts";
export {
  HEARTBEAT_CRON,
  HEARTBEAT_EVENT_DELAY_MS,
  HEARTBEAT_EVENT_JOB,
  HEARTBEAT_SCHEDULE_KEY,
  HEARTBEAT_TIMED_JOB,
  type Heartbeat,
  type HeartbeatEventPayload,
  type HeartbeatOptions,
  type HeartbeatStatus,
  type HeartbeatStatusOptions,
  heartbeatStatus,
  isHeartbeatEnabled,
  registerHeartbeat,
} from "./jobs/heartbeat.ts";
export { createLogger, type Logger, silentLogger } from "./logger.ts";
export {
  defineMonitor,
  type MonitorCheck,
  type MonitorDefinition,
  type MonitorOptions,
} from "./monitors/define-monitor.ts";
export type { MonitorJobState, MonitorStatus, Monitors } from "./monitors/monitors.ts";
export type { EnqueueOptions } from "./runtime/enqueue.ts";
export type { Limits } from "./runtime/limits.ts";
export {
  type DefineJobOptions,
  defineJob,
  type JobContext,
  type JobDefinition,
  type JobHandler,
  type JobOptions,
  type ThreadHandler,
} from "./runtime/registry.ts";
export { defineSchedule, type ScheduleDefinition, type ScheduleOptions } from "./runtime/schedules.ts";
export type { ApplicationPool, TransactionClient } from "./store/pg-client.ts";
export type { FlowStore } from "./store/ports/flow-store.ts";
export type { MonitorStore } from "./store/ports/monitor-store.ts";
export type {
  FlowRow,
  FlowRunRow,
  JobRow,
  JobRunRow,
  LimitKeyUsage,
  LimitUsageRow,
  LimitWaitReason,
  MonitorCheckResult,
  MonitorRow,
  MonitorTransitionRow,
  QueueCount,
  QueueGateRow,
  ScheduleRow,
  TickRow,
  TypePauseRow,
} from "./store/ports/rows.ts";
export type { FlowRunFilter, StoreQueries } from "./store/ports/store-queries.ts";
export type { Store } from "./store/store.ts";
export { createTickflow, type StartOptions, Tickflow, type TickflowOptions } from "./tickflow.ts";
