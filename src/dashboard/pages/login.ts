import { type Html, html } from "../html.ts";
import { ASSET_VERSION, BASE } from "../layout.ts";

export function loginPage(options: { next: string; error: string | null; noToken: boolean }): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Log in · tickflow</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${BASE}/static/dashboard.css?v=${ASSET_VERSION}">
</head>
<body class="login-body">
<main id="main" class="login">
<h1><span class="brand">tickflow</span> dashboard</h1>
${
  options.noToken
    ? html`<p class="flash flash-error" role="alert">No API token is configured on the server, so nobody can log in. Set <code>TICKFLOW_TOKEN</code> (at least 16 characters) and restart.</p>`
    : ""
}
${options.error ? html`<p class="flash flash-error" role="alert" id="login-error">${options.error}</p>` : ""}
<form method="post" action="${BASE}/login" class="card stack">
  <input type="hidden" name="next" value="${options.next}">
  <label for="token">API token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required autofocus
    spellcheck="false"${options.error ? html` aria-describedby="login-error" aria-invalid="true"` : ""}>
  <p class="muted small">The token set in <code>TICKFLOW_TOKEN</code>. It is checked once; the browser then keeps only a session cookie.</p>
  <button type="submit" class="btn btn-primary">Log in</button>
</form>
</main>
</body>
</html>`;
}
