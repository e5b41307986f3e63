import type { JobInsert } from "../ports/job-store.ts";
import type { ScheduleDefinitionRow } from "../ports/rows.ts";
import { storableOrNull, storableText } from "./storable-text.ts";
import { assertStorableJobs } from "./store-values.ts";

/**
 * Jobs as both stores can hold them: numbers every column can take (else InvalidOptionError,
 * nothing written) and storable text. JSON text from JSON.stringify is already storable (it
 * escapes NUL and lone surrogates), so payloads read back byte for byte.
 */
export function storableJobs(jobs: readonly JobInsert[]): readonly JobInsert[] {
  assertStorableJobs(
    jobs.map((j) => ({ ...j, names: { type: j.type, queue: j.queue, key: j.key, stateKey: j.stateKey } })),
  );
  return jobs.map((job) => {
    const safe: JobInsert = {
      ...job,
      type: storableText(job.type),
      queue: storableText(job.queue),
      payload: storableText(job.payload),
      key: storableOrNull(job.key),
      backoff: storableText(job.backoff),
      stateKey: storableOrNull(job.stateKey),
    };
    const same =
      safe.type === job.type &&
      safe.queue === job.queue &&
      safe.payload === job.payload &&
      safe.key === job.key &&
      safe.backoff === job.backoff &&
      safe.stateKey === job.stateKey;
    return same ? job : safe;
  });
}

/** Schedule definitions as both stores can hold them (see storableJobs). */
export function storableScheduleDefs(defs: readonly ScheduleDefinitionRow[]): ScheduleDefinitionRow[] {
  assertStorableJobs(
    defs.map((d) => ({
      ...d.jobOptions,
      names: { id: d.id, jobType: d.jobType, queue: d.jobOptions.queue },
    })),
    "schedule",
  );
  return defs.map((def) => ({
    ...def,
    id: storableText(def.id),
    jobType: storableText(def.jobType),
    payload: storableText(def.payload),
    jobOptions: {
      ...def.jobOptions,
      queue: storableText(def.jobOptions.queue),
      backoff: storableText(def.jobOptions.backoff),
    },
  }));
}
