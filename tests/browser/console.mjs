// Drives Debian's chromium (headless, playwright-core) through the console
// as an auditor would, and prints what it saw as one JSON object for the
// test (tests/e2e/test_console.py) to judge against the store. It asserts
// nothing itself: every observation goes back to the test.
//
// usage: node console.mjs BASE_URL TOKEN STREAM SEQ FINGERPRINT OUT_DIR PHASE
//   PHASE "first": unauthenticated requests, sign-in, overview, events,
//                  the event, lineage; "again": sign-in and the event only.
import { chromium } from "playwright-core";

const [base, token, stream, seq, fingerprint, outDir, phase] = process.argv.slice(2);
const seen = { phase, console_errors: [], page_errors: [], failed_requests: [] };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") seen.console_errors.push(m.text()); });
  page.on("pageerror", (e) => seen.page_errors.push(String(e)));
  page.on("requestfailed", (r) => seen.failed_requests.push(r.url()));
  const shot = (name) => page.screenshot({ path: `${outDir}/${phase}-${name}.png`, fullPage: true });

  if (phase === "first") {
    // no credentials: neither a page nor an answer
    seen.unauthenticated = {};
    for (const path of ["/console", "/console/app.js", "/v1/events", "/v1/report"]) {
      const r = await page.goto(base + path);
      seen.unauthenticated[path] = { status: r.status(), body: (await r.text()).slice(0, 200) };
    }
    await shot("refused");
    // a wrong token is refused at sign-in
    await page.goto(base + "/console/login");
    await page.fill("#token", "sealtap_" + "0".repeat(64));
    await page.click("button[type=submit]");
    await page.waitForFunction(() => document.getElementById("login-error").textContent !== "");
    seen.wrong_token = await page.textContent("#login-error");
    await context.clearCookies();
  }

  // The refusals above are meant to show as failed loads; what counts is
  // what the console does once signed in.
  seen.refusal_errors = seen.console_errors.length;
  seen.console_errors = [];
  await page.goto(base + "/console/login");
  await page.fill("#token", token);
  await Promise.all([page.waitForURL(/\/console#overview$/), page.click("button[type=submit]")]);

  if (phase === "first") {
    const frame = page.frameLocator("#report");
    await frame.locator("#t-findings").waitFor();
    seen.overview = {};
    for (const id of ["t-events", "t-agents", "t-findings", "t-input", "t-echo", "t-novel", "t-cross", "t-violations",
                      "t-prompt-changes", "t-verified"])
      seen.overview[id] = (await frame.locator("#" + id).textContent()).trim();
    seen.report_download = await page.getAttribute("#download-report", "href");
    await shot("overview");

    await page.goto(base + "/console#events?kind=finding");
    await page.waitForSelector("#events tr:nth-child(2)");
    seen.finding_rows = (await page.locator("#events tr").count()) - 1;
    await shot("events");

    await page.goto(base + "/console#lineage/" + fingerprint);
    await page.waitForSelector("#lineage-summary");
    seen.lineage_summary = await page.textContent("#lineage-summary");
    seen.lineage_rows = (await page.locator("#lineage tr").count()) - 1;
    await shot("lineage");
  }

  await page.goto(base + `/console#event/${stream}/${seq}`);
  await page.waitForSelector("#verdict");
  seen.verdict = await page.textContent("#verdict");
  seen.verification = await page.textContent("#verification");
  seen.fields = await page.locator("#fields tr").count();
  seen.proof_download = await page.getAttribute("#download-proof", "href");
  // the bundle the console offers, fetched as the browser would download it
  const bundle = await page.evaluate(async (u) => {
    const r = await fetch(u, { credentials: "same-origin" });
    return { status: r.status, type: r.headers.get("Content-Type"), bytes: (await r.arrayBuffer()).byteLength };
  }, seen.proof_download);
  seen.bundle = bundle;
  await shot("event");
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
