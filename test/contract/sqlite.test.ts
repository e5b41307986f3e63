import Database from "better-sqlite3";
import { createTestSqliteStore } from "../helpers/sqlite.ts";
import { runAlertStoreContract } from "./alert-store-contract.ts";
import { runFlowStoreContract } from "./flow-store-contract.ts";
import { runHistoryStoreContract } from "./history-store-contract.ts";
import { runLimitsContract } from "./limits-contract.ts";
import { runMonitorStoreContract } from "./monitor-store-contract.ts";
import { runPoisonContract } from "./poison-contract.ts";
import { runScheduleRuntimeContract } from "./schedule-runtime-contract.ts";
import { runStoreContract } from "./store-contract.ts";

runStoreContract("sqlite", createTestSqliteStore);
runMonitorStoreContract("sqlite", createTestSqliteStore);
runFlowStoreContract("sqlite", createTestSqliteStore);
runAlertStoreContract("sqlite", createTestSqliteStore);
runLimitsContract("sqlite", createTestSqliteStore);

runPoisonContract("sqlite", async () => {
  const h = await createTestSqliteStore();
  return {
    ...h,
    async raw(statement) {
      const db = new Database(h.file);
      try {
        db.exec(statement.replaceAll("{t}", ""));
      } finally {
        db.close();
      }
    },
  };
});
runHistoryStoreContract("sqlite", createTestSqliteStore);
runScheduleRuntimeContract("sqlite", createTestSqliteStore);
