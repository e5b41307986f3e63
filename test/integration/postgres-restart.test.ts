import { after, before, describe, it } from "node:test";
import { startLedgerWorkers } from "../helpers/ledger-workers.ts";
import { pgRequired } from "../helpers/pg.ts";
import {
  type PrivateCluster,
  privateClusterUnavailable,
  startPrivateCluster,
} from "../helpers/pg-cluster.ts";
import { waitFor } from "../helpers/wait-for.ts";

// Under TICKFLOW_REQUIRE_PG (CI) this runs or fails; elsewhere it skips when no cluster can be made.
const unavailable = privateClusterUnavailable();
if (unavailable && !pgRequired) console.log(`PostgreSQL restart test skipped: ${unavailable}`);

describe("a PostgreSQL restart under running workers", { skip: pgRequired ? false : unavailable }, () => {
  let cluster: PrivateCluster;
  before(async () => {
    cluster = await startPrivateCluster();
  });
  after(() => cluster?.stop());

  it("no process exits, work resumes on the restarted server, every job succeeds", async () => {
    const run = await startLedgerWorkers(cluster.url);
    try {
      await run.enqueue(0, 800);
      await waitFor(() => run.ledger().length >= 150, "work to be under way", 20_000);
      cluster.restart();
      // Enqueued after the restart: the pools reconnected and LISTEN resumed on the new server.
      await waitFor(
        async () => {
          try {
            await run.enqueue(800, 400);
            return true;
          } catch {
            return false; // the client's own pool may still hold a connection the restart cut
          }
        },
        "an enqueue on the restarted server",
        20_000,
        200,
      );
      await run.expectAllDone(1_200);
    } finally {
      await run.cleanup();
    }
  });
});
