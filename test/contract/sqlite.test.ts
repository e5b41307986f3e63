import { createTestSqliteStore } from "../helpers/sqlite.ts";
import { runStoreContract } from "./store-contract.ts";

runStoreContract("sqlite", createTestSqliteStore);
