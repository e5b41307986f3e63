import { TickflowError } from "../errors.ts";
import type { TickflowEvents } from "../events.ts";
import type { ScheduleDefinitionRow } from "../store/ports/rows.ts";
import type { SyncReport } from "../store/ports/schedule-store.ts";
import type { Store } from "../store/store.ts";
import { codeDeclaration, startCheckIn } from "./code-deploy.ts";
import type { JobRegistry } from "./registry.ts";
import { diffSchedules, type ScheduleDiff } from "./schedule-diff.ts";
import { type ScheduleDefinition, toScheduleRow } from "./schedules.ts";

/**
 * The schedules this process declares in code (defineSchedule, features): reconciled into the
 * store as one code version (rolling deploys), diffed without writing, and checked in while
 * the process runs so a newer version's processes are not taken for gone.
 */
export class CodeSchedules {
  private readonly definitions = new Map<string, ScheduleDefinition>();
  private stopCheckIn: (() => void) | undefined;

  constructor(
    private readonly deps: {
      store: Store;
      registry: JobRegistry;
      events: TickflowEvents;
      now(): number;
      /** This process (its worker id): what holds its code version live while it runs. */
      processId: string;
    },
  ) {}

  add(definition: ScheduleDefinition): ScheduleDefinition {
    if (this.definitions.has(definition.key)) {
      throw new TickflowError("DUPLICATE_SCHEDULE", `schedule "${definition.key}" is defined twice`);
    }
    this.definitions.set(definition.key, definition);
    return definition;
  }

  has(key: string): boolean {
    return this.definitions.has(key);
  }

  /** The keys of the schedules this process defines in code. */
  keys(): string[] {
    return [...this.definitions.keys()];
  }

  /** Stores the code schedules (when this code is the newest version); `checkIn`: while running. */
  async sync(now: number, checkIn: boolean): Promise<SyncReport> {
    const rows = this.rows(now);
    const { processId } = this.deps;
    const declaration = { ...codeDeclaration(rows), ...(checkIn && { processId }) };
    const report = await this.deps.store.schedules.syncSchedules(rows, now, declaration);
    this.stopCheckIn?.();
    if (!checkIn) return report;
    this.stopCheckIn = startCheckIn(
      () => this.deps.store.schedules.touchDeploy(declaration.codeHash, processId, this.deps.now()),
      (error) => this.deps.events.emit("worker:error", { error, where: "checking the code version in" }),
    );
    return report;
  }

  diff(now: number): Promise<ScheduleDiff> {
    return diffSchedules(this.deps.store.queries, this.rows(now), now);
  }

  /** Stops checking in and, if it was, releases the version: a rollback after this need not wait. */
  async stop(): Promise<void> {
    if (!this.stopCheckIn) return;
    this.stopCheckIn();
    this.stopCheckIn = undefined;
    await this.deps.store.schedules
      .releaseDeploy(this.deps.processId, this.deps.now())
      .catch((error) =>
        this.deps.events.emit("worker:error", { error, where: "releasing the code version" }),
      );
  }

  private rows(now: number): ScheduleDefinitionRow[] {
    return [...this.definitions.values()].map((d) => toScheduleRow(d, this.deps.registry, now));
  }
}
