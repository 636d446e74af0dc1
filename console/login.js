// The sign-in form: the token goes into a cookie this collector's pages
// send back (SameSite=Strict: never on a request another site starts;
// Secure: never over plain HTTP). It is checked by the first page behind
// it, not here.
"use strict";
document.getElementById("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const token = document.getElementById("token").value.trim();
  document.cookie = "sealtap_token=" + encodeURIComponent(token) + "; Path=/; SameSite=Strict; Secure";
  const r = await fetch("/v1/streams", { credentials: "same-origin" });
  if (r.ok) {
    location.href = "/console#overview";
    return;
  }
  document.cookie = "sealtap_token=; Path=/; Max-Age=0; SameSite=Strict; Secure";
  document.getElementById("login-error").textContent =
    r.status === 401 ? "That token is no principal of this collector." :
    r.status === 403 ? "That principal's role may not read the evidence (auditor or admin needed)." :
    "The collector answered " + r.status + ".";
});
