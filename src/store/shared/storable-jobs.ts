import type { JobInsert } from "../ports/job-store.ts";
import type { ScheduleDefinitionRow } from "../ports/rows.ts";
import { isStorableText, storableOrNull, storableText } from "./storable-text.ts";
import { assertStorableJobs, jobNumbersFit, MAX_EPOCH_MS, MAX_NAME_CHARS } from "./store-values.ts";

/**
 * Jobs as both stores can hold them: numbers every column can take (else InvalidOptionError,
 * nothing written) and storable text. JSON text from JSON.stringify is already storable (it
 * escapes NUL and lone surrogates), so payloads read back byte for byte.
 *
 * A batch that needs nothing changed (the usual one) is checked without allocating, and the
 * fields a job shares with the one before it (type, queue, options: a bulk enqueue's jobs mostly
 * do) are checked once; only a batch with something to refuse or replace takes the slow path.
 */
export function storableJobs(jobs: readonly JobInsert[]): readonly JobInsert[] {
  let previous: JobInsert | undefined;
  for (const job of jobs) {
    if (!(previous !== undefined && sharesFields(previous, job) ? ownFieldsFit(job) : fits(job)))
      return storableJobsSlowly(jobs);
    previous = job;
  }
  return jobs;
}

/** The same type, queue and options as `a` (checked already). */
function sharesFields(a: JobInsert, b: JobInsert): boolean {
  return (
    a.type === b.type &&
    a.queue === b.queue &&
    a.priority === b.priority &&
    a.maxAttempts === b.maxAttempts &&
    a.timeoutMs === b.timeoutMs &&
    a.backoff === b.backoff &&
    a.stateKey === b.stateKey
  );
}

/** The fields a job rarely shares: payload, key and run time. */
function ownFieldsFit(job: JobInsert): boolean {
  return (
    isStorableText(job.payload) &&
    (job.key === null || (job.key.length <= MAX_NAME_CHARS && isStorableText(job.key))) &&
    Number.isInteger(job.runAt) &&
    job.runAt >= 0 &&
    job.runAt <= MAX_EPOCH_MS
  );
}

function fits(job: JobInsert): boolean {
  const nameFits = (name: string | null) =>
    name === null || (name.length <= MAX_NAME_CHARS && isStorableText(name));
  return (
    jobNumbersFit(job) &&
    ownFieldsFit(job) &&
    nameFits(job.type) &&
    nameFits(job.queue) &&
    nameFits(job.stateKey) &&
    isStorableText(job.backoff)
  );
}

function storableJobsSlowly(jobs: readonly JobInsert[]): readonly JobInsert[] {
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
