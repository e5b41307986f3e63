/**
 * A shields-style flat SVG status badge ("label | status"), self-contained: no fonts or scripts
 * loaded, every text escaped. Widths come from a per-character estimate (Verdana 11px ≈ 6.5 px
 * per character, as shields.io's fallback does), good enough for short labels.
 */
const COLOURS: Record<string, string> = {
  ok: "#4c1",
  up: "#4c1",
  late: "#dfb317",
  new: "#9f9f9f",
  never_ran: "#9f9f9f",
  paused: "#9f9f9f",
  failing: "#e05d44",
  missed: "#e05d44",
  down: "#e05d44",
};

const escapeXml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

const width = (text: string) => Math.round(text.length * 6.5) + 10;

export function badgeSvg(label: string, status: string): string {
  const lw = width(label);
  const sw = width(status);
  const colour = COLOURS[status] ?? "#9f9f9f";
  const l = escapeXml(label);
  const s = escapeXml(status);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${lw + sw}" height="20" role="img" aria-label="${l}: ${s}"><title>${l}: ${s}</title><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${sw}" height="20" fill="${colour}"/><g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11"><text x="${lw / 2}" y="14">${l}</text><text x="${lw + sw / 2}" y="14">${s}</text></g></svg>`;
}
