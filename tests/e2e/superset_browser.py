"""Browser driver for tests/e2e/test_superset.py, run with Superset's venv python (it has playwright).

Reads a JSON job on stdin, logs in as each user in Debian's Chromium (headless), opens every dashboard
(or the user's ``dashboards`` when given),
waits until no chart is loading, and prints JSON: per (user, dashboard) the chart count, error texts,
and the cells of the detail table named in the job. Requests to anything but Superset (the telemetry
pixel) are aborted.

Each user's first dashboard is a full page load of its URL (a bookmark); the next ones are reached inside
the single-page app (history.pushState + popstate, what the browser's back and forward buttons do; either way the app
fetches the dashboard, its charts and their data through the API as the user), so the app's JavaScript is
evaluated once per user, not once per dashboard: in a Chromium trace of one visit on the shared 2-core
machine, evaluating it took about as long as rendering the dashboard (13 s of 21 s on the main thread).
"""

from __future__ import annotations

import json
import sys
import time

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
HOLDER = ".dashboard-component-chart-holder"
ERRORS = f"{HOLDER} .ant-alert-error, {HOLDER} .alert-danger, {HOLDER} [data-test='error-message']"
# Rendered: every chart holder shows content (a drawing, a table, a big number, text, an empty state or an
# error) and nothing in it is loading. Waiting only for "no spinner" passes before the charts even start.
# Holders marked stale belong to the dashboard shown before an in-app navigation: while one is left the
# new dashboard is not the one on screen.
READY_JS = """() => {
  const holders = [...document.querySelectorAll('.dashboard-component-chart-holder')];
  return holders.length > 0 && holders.every(h =>
    !h.dataset.vaxdwStale &&
    !h.querySelector('.loading, [aria-label="loading"], [data-test="loading-indicator"]') &&
    !!h.querySelector('canvas, table, .header-line, .dashboard-markdown, [role="alert"], .ant-empty, ' +
                      '.ant-alert, [data-test="error-message"], .empty-state'));
}"""
NAVIGATE_JS = """path => {
  document.querySelectorAll('.dashboard-component-chart-holder').forEach(h => { h.dataset.vaxdwStale = '1'; });
  window.history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}"""
# The detail table's cells in one round trip: a locator call per cell re-resolved the holder (by its text)
# every time and took half a minute to four minutes per table, most of the browser stage.
ROWS_JS = "rows => rows.slice(0, 200).map(r => [...r.querySelectorAll('td')].map(c => c.innerText.trim()))"
# The screenshot is the viewport: all of every dashboard but the last rows of 库存指标、盘点与计划. What renders
# does not depend on it: virtualisation, which would leave charts far below the fold unrendered, is off
# under automation (Superset checks navigator.webdriver), and READY_JS waits for every chart holder.
VIEWPORT = {"width": 1600, "height": 3200}


def main() -> None:
    job = json.load(sys.stdin)
    base = job["base_url"]
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for user in job["users"]:
            ctx = browser.new_context(viewport=VIEWPORT)
            page = ctx.new_page()
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
            page.goto(f"{base}/login/")
            page.fill("#username", user["name"])
            page.fill("#password", user["password"])
            page.click("button[type=submit]")
            # logged in once the welcome page answers; it is not rendered: the first dashboard replaces it
            page.wait_for_url("**/superset/welcome/**", wait_until="commit", timeout=180_000)
            only = user.get("dashboards")  # slugs; absent = every dashboard
            for n, board in enumerate([b for b in job["dashboards"] if only is None or b["slug"] in only]):
                started = time.monotonic()
                route = f"/superset/dashboard/{board['slug']}/"
                if n == 0:
                    page.goto(base + route)
                else:
                    page.evaluate(NAVIGATE_JS, route)
                page.wait_for_selector(HOLDER, timeout=120_000)
                page.wait_for_function(READY_JS, timeout=120_000)
                if board.get("detail_chart"):
                    page.locator(HOLDER, has_text=board["detail_chart"]).locator("table tbody tr").first.wait_for(
                        timeout=60_000)
                result = {
                    "user": user["name"], "slug": board["slug"], "navigation": "load" if n == 0 else "in-app",
                    "rendered_seconds": round(time.monotonic() - started, 2),
                    "charts": page.locator(HOLDER).count(),
                    "errors": [e.inner_text()[:200] for e in page.locator(ERRORS).all()],
                    "title": page.locator("[data-test='editable-title'], .editable-title").first.inner_text()
                    if page.locator("[data-test='editable-title'], .editable-title").count() else "",
                    "text": page.locator("body").inner_text()[:3000],
                }
                detail = board.get("detail_chart")
                if detail:
                    rows = page.locator(HOLDER, has_text=detail).locator("table tbody tr")
                    result["detail_rows"] = rows.evaluate_all(ROWS_JS)
                shots = user.get("screenshot") or job.get("screenshot", [])  # the user's own list, else the job's
                if board["slug"] in shots:
                    path = f"{job['artifacts']}/{board['slug']}-{user['name']}.png"
                    page.wait_for_timeout(500)  # let the charts' entry animation settle for the picture
                    # the viewport (VIEWPORT), not full_page: resizing the page for a full-page capture
                    # re-lays the grid out and can catch it empty, and costs seconds per shot
                    page.screenshot(path=path)
                    result["screenshot"] = path
                result["seconds"] = round(time.monotonic() - started, 2)  # the whole visit, extraction included
                out.append(result)
            ctx.close()
        browser.close()
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
