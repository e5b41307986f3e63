import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, realpathSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { JobsInsertedHint } from "../store.ts";

/**
 * Cross-process insert hints for SQLite: every process whose workers wait on a database file
 * listens on a unix socket in `<db>.tickflow-wake/`, and a process that inserts work writes one
 * line to each of them. A hint, never the source of truth: a hint that is lost (a peer starting,
 * a full socket, a read-only directory) costs the waiting worker at most one poll.
 *
 * Unix stream sockets, not datagrams: Node's dgram speaks only UDP. Connections to peers are kept
 * open, so a hint costs one write per peer, not a connect.
 */

/** sun_path holds 108 bytes on Linux (104 on macOS); longer paths move to the temp directory. */
const MAX_SOCKET_PATH = 100;
const SOCKET_SUFFIX = ".sock";
/**
 * The longest socket name (a 7-digit pid, "-", 8 hex digits, ".sock"): where the sockets go is
 * decided on it, not on this process's pid, so that every process decides the same.
 */
const LONGEST_SOCKET_NAME = 7 + 1 + 8 + SOCKET_SUFFIX.length;
/** Hints queued for one peer beyond this are dropped rather than held in memory. */
const MAX_UNSENT_BYTES = 64 * 1024;

/** One line per hint on the wire: short keys, JSON. */
interface WireHint {
  q: string[];
  at: number;
}

/** Says once that this process cannot be woken by others and waits for its polls. */
export type WakeWarning = (message: string) => void;

/**
 * The directory of wake sockets for a database file: beside it, named after its real path (so
 * every process that reaches the file through a symlink agrees), or in the temp directory when
 * that path would be too long for a socket address.
 */
export function wakeDirFor(file: string): string {
  let real = file;
  try {
    real = realpathSync(file);
  } catch {
    // Not created yet: the resolved path is the best every process can agree on.
  }
  const beside = join(dirname(real), `${basename(real)}.tickflow-wake`);
  if (beside.length + 1 + LONGEST_SOCKET_NAME <= MAX_SOCKET_PATH) return beside;
  const digest = createHash("sha256").update(real).digest("hex").slice(0, 16);
  return join(tmpdir(), `tickflow-wake-${digest}`);
}

function socketName(): string {
  return `${process.pid}-${randomBytes(4).toString("hex")}${SOCKET_SUFFIX}`;
}

/** Merges two hints into one that wakes whoever either would have woken. */
function merge(a: JobsInsertedHint | undefined, b: JobsInsertedHint): JobsInsertedHint {
  if (!a) return { queues: [...b.queues], earliestRunAt: b.earliestRunAt };
  // An empty queue list means "every queue" and absorbs the other.
  const queues =
    a.queues.length === 0 || b.queues.length === 0 ? [] : [...new Set([...a.queues, ...b.queues])];
  return { queues, earliestRunAt: Math.min(a.earliestRunAt, b.earliestRunAt) };
}

function parseLine(line: string): JobsInsertedHint | undefined {
  try {
    const wire = JSON.parse(line) as Partial<WireHint>;
    if (!Array.isArray(wire.q) || typeof wire.at !== "number") return undefined;
    return { queues: wire.q.filter((q): q is string => typeof q === "string"), earliestRunAt: wire.at };
  } catch {
    return undefined; // not ours: ignore, the poll covers whatever it meant
  }
}

/** The wake sockets of one database file in this process (one per file, shared by its stores). */
export class SqliteWake {
  private server: Server | undefined;
  private ownPath: string | undefined;
  private listeners = 0;
  private warned = false;
  private readonly peers = new Map<string, Socket>();
  /** Hints published since the last send went out: they leave together (see publish). */
  private pending: JobsInsertedHint | undefined;
  private sendScheduled = false;
  private readonly removeOwnSocket = () => this.unlinkOwn();

  private warn: WakeWarning = (message) => process.emitWarning(message);

  /** `deliver` hands a hint from another process to this process's listeners. */
  constructor(
    readonly dir: string,
    private readonly deliver: (hint: JobsInsertedHint) => void,
  ) {}

  /** Where this process listens, once it does. */
  get socketPath(): string | undefined {
    return this.ownPath;
  }

  /**
   * Starts listening for other processes' hints while anyone here waits for them; returns the
   * release. Listening fails soft: one warning, and this process's workers poll.
   */
  retain(warn?: WakeWarning): () => void {
    if (warn) this.warn = warn;
    this.listeners++;
    if (this.listeners === 1) this.listen();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.listeners--;
      if (this.listeners === 0) this.stopListening();
    };
  }

  /**
   * Tells every other process on the file that jobs were inserted. A storm of inserts leaves as
   * one line per peer per event-loop turn: the first goes out as soon as the code publishing it
   * returns, the rest are merged until the loop turns, so the peers run one claim round for the
   * storm, not one per job.
   */
  publish(hint: JobsInsertedHint): void {
    this.pending = merge(this.pending, hint);
    if (this.sendScheduled) return;
    this.sendScheduled = true;
    // After the code running now: a hint published inside a write transaction must not reach a
    // peer (who would claim and find nothing) before that transaction commits.
    queueMicrotask(() => this.flush());
  }

  /** Stops listening and drops every connection (the store's last close). */
  close(): void {
    this.listeners = 0;
    this.stopListening();
    for (const socket of this.peers.values()) socket.destroy();
    this.peers.clear();
  }

  private flush(): void {
    this.sendPending();
    setImmediate(() => {
      if (this.pending) this.flush();
      else this.sendScheduled = false;
    });
  }

  private sendPending(): void {
    const hint = this.pending;
    this.pending = undefined;
    if (!hint) return;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return; // nobody has listened yet (no directory): nobody to wake
    }
    const line = `${JSON.stringify({ q: hint.queues, at: hint.earliestRunAt } satisfies WireHint)}\n`;
    for (const name of names) {
      if (!name.endsWith(SOCKET_SUFFIX)) continue;
      const path = join(this.dir, name);
      if (path === this.ownPath) continue;
      const socket = this.connection(path);
      // A peer that stopped reading (a blocked event loop) gets no more: its poll covers it.
      if (socket.writableLength < MAX_UNSENT_BYTES) socket.write(line);
    }
  }

  /** A kept-open connection to a peer's socket; a dead peer's socket file is removed. */
  private connection(path: string): Socket {
    const known = this.peers.get(path);
    if (known && !known.destroyed) return known;
    const socket = createConnection(path);
    socket.unref();
    socket.on("error", (error: NodeJS.ErrnoException) => {
      // Refused: the file outlived its process (SIGKILL, a crash). Nobody else cleans it up.
      if (error.code === "ECONNREFUSED") unlinkQuietly(path);
    });
    socket.on("close", () => {
      if (this.peers.get(path) === socket) this.peers.delete(path);
    });
    // Peers only listen; anything they send back is ignored.
    socket.resume();
    this.peers.set(path, socket);
    return socket;
  }

  private listen(): void {
    if (this.server) return;
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (error) {
      this.cannotListen(error as Error);
      return;
    }
    const path = join(this.dir, socketName());
    const server = createServer((socket) => this.accept(socket));
    server.on("error", (error) => {
      if (this.server === server) this.server = undefined;
      this.ownPath = undefined;
      server.close();
      this.cannotListen(error);
    });
    server.listen(path);
    server.unref();
    this.server = server;
    this.ownPath = path;
    process.once("exit", this.removeOwnSocket);
  }

  private accept(socket: Socket): void {
    socket.unref();
    socket.setEncoding("utf8");
    let buffered = "";
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      const end = buffered.lastIndexOf("\n");
      if (end < 0) return;
      let hint: JobsInsertedHint | undefined;
      for (const line of buffered.slice(0, end).split("\n")) {
        const parsed = parseLine(line);
        if (parsed) hint = merge(hint, parsed);
      }
      buffered = buffered.slice(end + 1);
      // Everything that arrived together is one hint: one wake, one claim round.
      if (hint) this.deliver(hint);
    });
    socket.on("error", () => socket.destroy());
  }

  private stopListening(): void {
    const server = this.server;
    this.server = undefined;
    if (server) server.close();
    this.unlinkOwn();
    process.off("exit", this.removeOwnSocket);
  }

  private unlinkOwn(): void {
    if (this.ownPath) unlinkQuietly(this.ownPath);
    this.ownPath = undefined;
  }

  private cannotListen(error: Error): void {
    if (this.warned) return;
    this.warned = true;
    this.warn(
      `cannot listen for other processes' enqueues in ${this.dir} (${error.message}): this process picks up their jobs at its next poll`,
    );
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

const wakesByFile = new Map<string, SqliteWake>();

/** The one SqliteWake of `file` in this process; `deliver` is bound by the first caller. */
export function wakeFor(file: string, deliver: (hint: JobsInsertedHint) => void): SqliteWake {
  let wake = wakesByFile.get(file);
  if (!wake) {
    wake = new SqliteWake(wakeDirFor(file), deliver);
    wakesByFile.set(file, wake);
  }
  return wake;
}
