/**
 * Text as every store column can hold it. PostgreSQL refuses a NUL character in `text` (SQLite
 * keeps it), and both drivers encode a lone UTF-16 surrogate as U+FFFD without a word: a handler's
 * error message with either once failed a whole finish batch (issue 19). Both adapters pass every
 * text value they store through here, so what reads back is the same on both dialects: NUL and
 * lone surrogates become U+FFFD, and text past `maxChars` is cut with a note saying how much.
 */
export const REPLACEMENT = "\uFFFD";

/** Longest error message kept per attempt; a message past it is cut (the stack keeps more). */
export const MAX_ERROR_MESSAGE_CHARS = 16_384;
/** Longest error stack kept per attempt. */
export const MAX_ERROR_STACK_CHARS = 65_536;

// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what PostgreSQL text refuses.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** The cheap test first: almost every value has nothing to replace (the hot path is success batches). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above.
const HAS_UNSTORABLE = /[\u0000\uD800-\uDFFF]/;

export function storableText(value: string, maxChars = Number.POSITIVE_INFINITY): string {
  let text = value;
  if (text.length > maxChars) {
    const cut = text.length - maxChars;
    text = `${text.slice(0, maxChars)}… [${cut} more characters cut]`;
  }
  return HAS_UNSTORABLE.test(text) ? text.replace(UNSTORABLE, REPLACEMENT) : text;
}

/** Whether `value` is stored as is: no NUL, no lone surrogate (the cheap test; the hot path). */
export function isStorableText(value: string): boolean {
  return !HAS_UNSTORABLE.test(value);
}

export function storableOrNull(value: string | null, maxChars?: number): string | null {
  return value === null ? null : storableText(value, maxChars);
}
