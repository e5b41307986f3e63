import type { Transporter } from "nodemailer";
import { InvalidOptionError } from "../../errors.ts";
import { resolveSecret, type SecretOption } from "../secrets.ts";
import { type AlertNotification, type Channel, notificationText, notificationTitle } from "./channel.ts";

export interface EmailChannelOptions {
  kind: "email";
  /** `smtp://user:password@host:587` (STARTTLS when offered) or `smtps://…:465`; or `{ env: "NAME" }`. */
  smtp: SecretOption;
  from: string;
  to: string | readonly string[];
}

/** Seconds an SMTP exchange may stall before the attempt fails (and is retried). */
const SMTP_TIMEOUT_MS = 15_000;
const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

/** Validates an SMTP URL: one clear line naming what is wrong, the password never shown. */
export function parseSmtpUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidOptionError(`${what}: not a URL (expected smtp://user:password@host:587 or smtps://…)`);
  }
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:") {
    throw new InvalidOptionError(`${what}: the scheme must be smtp:// or smtps://, not ${url.protocol}//`);
  }
  if (url.hostname === "") throw new InvalidOptionError(`${what}: the URL names no host`);
  return url;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

/** The HTML body: the same content as the text body. */
export function emailHtml(n: AlertNotification): string {
  const [title, ...rest] = notificationText(n).split("\n");
  const colour = n.event === "resolve" ? "#1a7f37" : "#cf222e";
  return `<!doctype html><html><body style="font-family:sans-serif"><h2 style="color:${colour}">${escapeHtml(title ?? "")}</h2>${rest
    .map((line) => `<p>${escapeHtml(line)}</p>`)
    .join("")}</body></html>`;
}

export function emailChannel(
  name: string,
  options: EmailChannelOptions,
  env: Record<string, string | undefined>,
): Channel {
  const what = `channel "${name}"`;
  const url = parseSmtpUrl(resolveSecret(options.smtp, env, `${what}: smtp`), `${what}: smtp`);
  const to = typeof options.to === "string" ? [options.to] : [...(options.to ?? [])];
  if (typeof options.from !== "string" || !ADDRESS.test(options.from)) {
    throw new InvalidOptionError(`${what}: from must be an email address`);
  }
  if (to.length === 0 || to.some((a) => typeof a !== "string" || !ADDRESS.test(a))) {
    throw new InvalidOptionError(`${what}: to must be one email address or a list of them`);
  }
  // nodemailer is loaded at the first email, not with tickflow: most installations send none.
  let transport: Promise<Transporter> | undefined;
  const transporter = () =>
    (transport ??= import("nodemailer").then(({ default: nodemailer }) =>
      nodemailer.createTransport({
        host: url.hostname,
        port: url.port === "" ? (url.protocol === "smtps:" ? 465 : 587) : Number(url.port),
        secure: url.protocol === "smtps:",
        auth: url.username
          ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
          : undefined,
        connectionTimeout: SMTP_TIMEOUT_MS,
        greetingTimeout: SMTP_TIMEOUT_MS,
        socketTimeout: SMTP_TIMEOUT_MS,
      }),
    ));
  return {
    name,
    kind: "email",
    target: `email ${url.protocol}//${url.host} → ${to.join(", ")}`,
    async send(n, signal) {
      signal.throwIfAborted();
      const mail = (await transporter()).sendMail({
        from: options.from,
        to,
        subject: notificationTitle(n),
        text: notificationText(n),
        html: emailHtml(n),
        headers: { "X-Tickflow-Notification": n.id },
      });
      // nodemailer takes no AbortSignal: an abort fails the attempt (the transport's own timeouts end the socket).
      const aborted = new Promise<never>((_, reject) => {
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
      const info = await Promise.race([mail, aborted]);
      return { detail: String(info.response ?? "accepted") };
    },
  };
}
