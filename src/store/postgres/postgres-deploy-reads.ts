import type { ScheduleDeployRow } from "../ports/rows.ts";
import { toScheduleDeployRow } from "../shared/rows.ts";
import type { PostgresDeps } from "./postgres-deps.ts";

// ── statements ──────────────────────────────────────────────────────────────

const LIST_DEPLOYS = "SELECT * FROM schedule_deploys ORDER BY version DESC";
const LIVE_DEPLOYS =
  "SELECT DISTINCT code_hash FROM schedule_deploy_processes WHERE stopped_at IS NULL AND last_seen_at >= $1";

/** The code versions the store has seen (rolling deploys), newest first: PostgresReads delegates here. */
export async function listScheduleDeploys(deps: Pick<PostgresDeps, "read">): Promise<ScheduleDeployRow[]> {
  return (await deps.read(LIST_DEPLOYS)).map(toScheduleDeployRow);
}

/** The code hashes with a running process that checked in since `since` and has not stopped. */
export async function liveDeployHashes(deps: Pick<PostgresDeps, "read">, since: number): Promise<string[]> {
  return (await deps.read(LIVE_DEPLOYS, [since])).map((r) => r.code_hash as string);
}
