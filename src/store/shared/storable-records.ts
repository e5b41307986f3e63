import type { FinishRunRequest } from "../ports/flow-store.ts";
import type { MonitorCheckRecord } from "../ports/monitor-store.ts";
import type { MonitorDefinitionRow } from "../ports/rows.ts";
import {
  MAX_ERROR_MESSAGE_CHARS,
  MAX_ERROR_STACK_CHARS,
  storableOrNull,
  storableText,
} from "./storable-text.ts";

/**
 * Flow runs and monitor checks as both stores can hold them (issue 19, beside storable-jobs.ts):
 * a flow's thrown error or an upstream's error text may carry a NUL or a lone surrogate, which
 * PostgreSQL refuses; the run or check must still be recorded, with its error made storable and
 * bounded like a job's.
 */
export function storableFlowFinish(request: FinishRunRequest): FinishRunRequest {
  const { error } = request;
  if (error === null) return request;
  return {
    ...request,
    error: {
      message: storableText(error.message, MAX_ERROR_MESSAGE_CHARS),
      stack: storableOrNull(error.stack, MAX_ERROR_STACK_CHARS),
    },
  };
}

export function storableMonitorDefinition(def: MonitorDefinitionRow): MonitorDefinitionRow {
  return {
    ...def,
    name: storableText(def.name),
    jobType: storableText(def.jobType),
    target: storableText(def.target),
    gates: def.gates.map((queue) => storableText(queue)),
  };
}

export function storableCheckRecord(record: MonitorCheckRecord): MonitorCheckRecord {
  return {
    ...record,
    definition: storableMonitorDefinition(record.definition),
    check: { ...record.check, error: storableOrNull(record.check.error, MAX_ERROR_MESSAGE_CHARS) },
    closedQueues: record.closedQueues.map((queue) => storableText(queue)),
  };
}
