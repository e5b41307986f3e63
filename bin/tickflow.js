#!/usr/bin/env node
// tsx lets tickflow load tickflow.config.ts and flow files written in TypeScript.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
