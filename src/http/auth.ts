import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Bearer tokens compared in constant time: both sides are hashed to 32 bytes first (so lengths
 * never differ and timingSafeEqual cannot throw), and every configured token is compared — no
 * early exit that would tell an attacker which one came close.
 */
export function createTokenCheck(tokens: readonly string[]): (header: string | undefined) => boolean {
  const digests = tokens.map((token) => sha256(token));
  return (header) => {
    if (digests.length === 0 || typeof header !== "string") return false;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return false;
    const presented = sha256(match[1]!);
    let ok = false;
    for (const digest of digests) ok = timingSafeEqual(digest, presented) || ok;
    return ok;
  };
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
