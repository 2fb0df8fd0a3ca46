// browse.mjs: the browser half of tests/docs/run.sh. Opens the /docs page in headless Debian
// Chromium (driven by playwright-core over the DevTools protocol, with a fresh profile) and checks
// what a person would see: every operation of /openapi.json rendered (method and path), a lock on
// exactly the operations that need a token, no request to any other host and no script error, and
// "Try it out" on a protected route: refused without a token, answered once the token is given to
// the Authorize dialog. Saves docs.png (the rendered page) and docs-try-it-out.png.
// Prints one line per check ("ok   - ..." / "FAIL - ...") and writes "PASSED FAILED" to --totals.
//   node browse.mjs --url URL --token JWT --product ID --chromium PATH --profile DIR
//                   --screenshots DIR --totals FILE
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

import { chromium } from "playwright-core";

const { values: options } = parseArgs({
  options: Object.fromEntries(
    ["url", "token", "product", "chromium", "profile", "screenshots", "totals"].map((name) => [name, { type: "string" }]),
  ),
});
const pageUrl = new URL(options.url);
const renderTimeoutMs = 30000;
const actionTimeoutMs = 15000;
let passed = 0;
let failed = 0;

// pass NAME / fail NAME REASON print and count one check.
function pass(name) {
  passed++;
  console.log(`ok   - ${name}`);
}
function fail(name, reason) {
  failed++;
  console.log(`FAIL - ${name}: ${reason}`);
}
function check(name, ok, reason) {
  if (ok) pass(name);
  else fail(name, reason);
}

// The operations the document lists, each as "METHOD /path", and those that need a token (an
// operation's own security wins over the document's).
async function documentedOperations() {
  const documentUrl = new URL("openapi.json", pageUrl);
  const response = await fetch(documentUrl);
  const document = response.ok ? await response.json() : {};
  if (!document.paths) throw new Error(`GET ${documentUrl} answered HTTP ${response.status} without an OpenAPI document`);
  const methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];
  const all = [];
  const protectedOperations = new Set();
  for (const [route, item] of Object.entries(document.paths)) {
    for (const method of methods.filter((m) => item[m])) {
      const key = `${method.toUpperCase()} ${route}`;
      all.push(key);
      const security = item[method].security ?? document.security ?? [];
      if (security.length) protectedOperations.add(key);
    }
  }
  return { all, protectedOperations };
}

// The operations the page shows, read from Swagger UI's operation blocks.
async function renderedOperations(page) {
  return page.$$eval(".opblock", (blocks) =>
    blocks.map((block) => ({
      key: `${block.querySelector(".opblock-summary-method")?.textContent.trim()} ${block
        .querySelector(".opblock-summary-path")
        ?.getAttribute("data-path")}`,
      locked: block.querySelector(".authorization__btn") !== null,
    })),
  );
}

// tryProtectedRoute runs "Try it out" on GET /v1/stock/{product_id}; returns the status the page shows
// and the request headers the browser sent.
async function tryProtectedRoute(page, operation) {
  const sent = page.waitForRequest((request) => request.url().endsWith(`/v1/stock/${options.product}`), {
    timeout: actionTimeoutMs,
  });
  const answered = page.waitForResponse((response) => response.url().endsWith(`/v1/stock/${options.product}`), {
    timeout: actionTimeoutMs,
  });
  await operation.locator("button.execute").click();
  const request = await sent;
  await answered;
  const status = operation.locator(".live-responses-table tbody .response-col_status").first();
  await status.waitFor({ timeout: actionTimeoutMs });
  return {
    shown: (await status.textContent()).trim(),
    body: (await operation.locator(".live-responses-table tbody .response-col_description").first().textContent()) ?? "",
    headers: await request.allHeaders(),
  };
}

async function main() {
  const { all, protectedOperations } = await documentedOperations();
  const context = await chromium.launchPersistentContext(options.profile, {
    executablePath: options.chromium,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
    timeout: 60000,
  });
  try {
    // Offline by construction: anything not asked of the service itself is refused and reported.
    const elsewhere = [];
    await context.route("**/*", (route) => {
      const target = new URL(route.request().url());
      if (target.origin === pageUrl.origin) return route.continue();
      elsewhere.push(target.href);
      return route.abort();
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
    page.on("requestfailed", (request) => errors.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));

    const response = await page.goto(pageUrl.href, { waitUntil: "load", timeout: renderTimeoutMs });
    check("Chromium loads /docs", response?.status() === 200, `HTTP ${response?.status()}`);
    try {
      await page.waitForFunction((count) => document.querySelectorAll(".opblock").length >= count, all.length, {
        timeout: renderTimeoutMs,
      });
      pass(`the page renders (${all.length} operations within ${renderTimeoutMs / 1000} s)`);
    } catch {
      const text = (await page.evaluate(() => document.body?.innerText ?? "")).replace(/\s+/g, " ").slice(0, 300);
      await page.screenshot({ path: path.join(options.screenshots, "docs.png"), fullPage: true });
      fail("the page renders", `no list of ${all.length} operations within ${renderTimeoutMs / 1000} s; page text: "${text}"; ${errors.join("; ") || "no script error"}`);
      return;
    }
    await page.screenshot({ path: path.join(options.screenshots, "docs.png"), fullPage: true });

    const rendered = await renderedOperations(page);
    const shown = new Set(rendered.map((operation) => operation.key));
    const missing = all.filter((key) => !shown.has(key));
    check(
      `every route of /openapi.json appears on the page (method and path, ${all.length} operations)`,
      missing.length === 0 && rendered.length === all.length,
      `missing: ${missing.join(", ") || "none"}; shown ${rendered.length}`,
    );
    const wrongLocks = rendered.filter((operation) => operation.locked !== protectedOperations.has(operation.key));
    check(
      `a lock marks exactly the ${protectedOperations.size} operations that need a bearer token`,
      wrongLocks.length === 0,
      wrongLocks.map((operation) => `${operation.key} (lock ${operation.locked})`).join(", "),
    );
    check("no script error, failed request or policy violation while rendering", errors.length === 0, errors.join("; "));
    check("nothing was asked of another host (works offline, no CDN)", elsewhere.length === 0, elsewhere.join(", "));

    const operation = page
      .locator(".opblock")
      .filter({ has: page.locator('.opblock-summary-path[data-path="/v1/stock/{product_id}"]') })
      .filter({ has: page.locator(".opblock-summary-method", { hasText: /^GET$/ }) });
    await operation.locator(".opblock-summary-control").click({ timeout: actionTimeoutMs });
    await operation.locator("button.try-out__btn").click({ timeout: actionTimeoutMs });
    await operation.locator('input[placeholder="product_id"]').fill(options.product, { timeout: actionTimeoutMs });
    const anonymous = await tryProtectedRoute(page, operation);
    check(
      "Try it out on GET /v1/stock/{product_id} without a token: the page shows the service's 401",
      /^401\b/.test(anonymous.shown) && !anonymous.headers.authorization,
      `shown ${anonymous.shown}, authorization ${anonymous.headers.authorization}`,
    );

    await page.locator(".auth-wrapper button.authorize").click({ timeout: actionTimeoutMs });
    const dialog = page.locator(".modal-ux");
    await dialog.locator(".auth-container input").first().fill(options.token, { timeout: actionTimeoutMs });
    await dialog.locator(".auth-btn-wrapper button.authorize").click({ timeout: actionTimeoutMs });
    await dialog.locator(".auth-btn-wrapper button.btn-done").click({ timeout: actionTimeoutMs });
    const authorized = await tryProtectedRoute(page, operation);
    check(
      "after Authorize with a bearer token: the browser sends it and the page shows 200 with the product",
      /^200\b/.test(authorized.shown) &&
        authorized.headers.authorization === `Bearer ${options.token}` &&
        authorized.body.includes(options.product),
      `shown ${authorized.shown}, authorization ${authorized.headers.authorization ? "sent" : "absent"}, body ${authorized.body.slice(0, 200)}`,
    );
    await operation.screenshot({ path: path.join(options.screenshots, "docs-try-it-out.png") });
    check("still nothing asked of another host after trying routes", elsewhere.length === 0, elsewhere.join(", "));
  } finally {
    await context.close();
  }
}

try {
  await main();
} catch (error) {
  fail("browser session", `${error.name}: ${error.message.split("\n")[0]}`);
}
fs.writeFileSync(options.totals, `${passed} ${failed}\n`);
