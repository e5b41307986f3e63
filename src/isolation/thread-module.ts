import { InvalidOptionError } from "../errors.ts";

/**
 * A handler that runs in a worker thread, named by its module: a thread cannot be handed a
 * closure, so the handler is the module's export, imported in the thread.
 */
export interface ThreadModule {
  readonly href: string;
  readonly exportName: string;
}

export interface ThreadHandlerOptions {
  /** The module's export that is the handler (default "default"). */
  export?: string;
}

/**
 * The handler module of `defineJob(name, new URL("./resize.js", import.meta.url))`. Only file:
 * URLs: a relative path would resolve against whatever the working directory happens to be.
 */
export function threadModuleOf(owner: string, url: URL, options: ThreadHandlerOptions = {}): ThreadModule {
  if (url.protocol !== "file:")
    throw new InvalidOptionError(
      `${owner}: a thread handler must be a file: URL (new URL("./handler.js", import.meta.url)), got ${url.protocol} URL`,
    );
  const exportName = options.export ?? "default";
  if (typeof exportName !== "string" || exportName === "")
    throw new InvalidOptionError(`${owner}: the handler's export must be a non-empty string`);
  return { href: url.href, exportName };
}
