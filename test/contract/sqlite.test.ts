import { createTestSqliteStore } from "../helpers/sqlite.ts";
import { runFlowStoreContract } from "./flow-store-contract.ts";
import { runMonitorStoreContract } from "./monitor-store-contract.ts";
import { runStoreContract } from "./store-contract.ts";

runStoreContract("sqlite", createTestSqliteStore);
runMonitorStoreContract("sqlite", createTestSqliteStore);
runFlowStoreContract("sqlite", createTestSqliteStore);
