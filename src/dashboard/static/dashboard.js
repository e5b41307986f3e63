// tickflow dashboard: live updates by short polling. Every few seconds the current page is fetched
// again and each region marked data-live is swapped for its fresh copy, except a region holding
// keyboard focus (so nothing moves under the user's hands). Open <details> stay open. Polling
// pauses while the tab is hidden, and the "Live updates" button turns it off (WCAG 2.2.2).
(() => {
  const INTERVAL_MS = 3000;
  const toggle = document.querySelector("[data-live-toggle]");
  const stamp = document.getElementById("live-stamp");
  let enabled = sessionStorage.getItem("tickflow-live") !== "off";
  let busy = false;

  const showToggle = () => {
    if (!toggle) return;
    toggle.hidden = false;
    toggle.setAttribute("aria-pressed", String(enabled));
    toggle.textContent = `Live updates: ${enabled ? "on" : "off"}`;
  };
  if (toggle) {
    toggle.addEventListener("click", () => {
      enabled = !enabled;
      sessionStorage.setItem("tickflow-live", enabled ? "on" : "off");
      showToggle();
      if (enabled) refresh();
    });
  }
  showToggle();

  // Confirmation for destructive actions (buttons with data-confirm).
  document.addEventListener("submit", (event) => {
    const button = event.submitter;
    const message = button?.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  async function refresh() {
    if (!enabled || busy || document.hidden) return;
    const regions = document.querySelectorAll("[data-live][id]");
    if (regions.length === 0) return;
    busy = true;
    try {
      const response = await fetch(location.href, {
        headers: { "x-tickflow-live": "1" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.status === 401) {
        location.reload();
        return;
      }
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const region of regions) {
        const next = fresh.getElementById(region.id);
        if (!next || region.contains(document.activeElement)) continue;
        if (next.innerHTML === region.innerHTML) continue;
        const open = new Set(Array.from(region.querySelectorAll("details[open][id]"), (d) => d.id));
        const replacement = document.importNode(next, true);
        for (const id of open) replacement.querySelector(`#${CSS.escape(id)}`)?.setAttribute("open", "");
        region.replaceWith(replacement);
      }
      const freshStamp = fresh.getElementById("live-stamp");
      if (stamp && freshStamp) stamp.textContent = freshStamp.textContent;
    } catch {
      // The server is restarting or the network blinked: try again next time.
    } finally {
      busy = false;
    }
  }

  setInterval(refresh, INTERVAL_MS);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refresh();
  });
})();
