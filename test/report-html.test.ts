// The simulator's HTML report in a real browser: Debian's chromium driven by playwright-core,
// offline. The page must load with no console error or failed request, draw the SVG map (one dot
// per node, the links), render both charts with data on their canvases, and show the runs table.
// A screenshot goes to test-artifacts/. Skipped, with the reason, when chromium is not installed.

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { DEFAULTS, runSimulate } from "../provisioning/commands/simulate.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = new URL("../test-artifacts/", import.meta.url);
const hasChromium = existsSync(CHROMIUM);

describe.skipIf(!hasChromium)(`simulate --report in headless chromium (needs ${CHROMIUM})`, () => {
  it("loads offline without errors and renders the map and both charts", async () => {
    const { report, output } = runSimulate({
      ...DEFAULTS,
      nodes: "250",
      neighbours: "14",
      ring: "40,75",
      captured: "0,10,25,50",
      json: true,
      report: "report.html",
    });
    expect(report).toBeDefined();
    const runs = JSON.parse(output).runs as { directPairs: number }[];
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = new URL("simulate-report.html", ARTIFACTS);
    writeFileSync(file, report!);

    const profile = mkdtempSync(join(tmpdir(), "predist-chromium-"));
    // playwright passes the fresh profile as --user-data-dir itself.
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 1400 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(`console: ${message.text()}`);
      });
      page.on("pageerror", (error) => problems.push(`page: ${error.message}`));
      page.on("requestfailed", (request) => problems.push(`request: ${request.url()}`));
      // Offline: any request off the file itself is a failure of self-containment.
      await page.route(/^(?!file:)/, (route) => {
        problems.push(`network: ${route.request().url()}`);
        return route.abort();
      });
      await page.goto(pathToFileURL(file.pathname).href, { waitUntil: "load" });

      // Map: one dot segment per node, one line segment per secure link of run 1.
      const map = await page.evaluate(() => {
        const paths = [...document.querySelectorAll("#map path")].map((p) => p.getAttribute("d")!);
        return {
          links: (paths[0]!.match(/M/g) ?? []).length,
          dots: (paths[1]!.match(/M/g) ?? []).length,
        };
      });
      expect(map.dots).toBe(250);
      expect(map.links).toBe(runs[0]!.directPairs);

      // Charts: Chart.js attached to both canvases, and each canvas has many painted pixels.
      const charts = await page.evaluate(() =>
        ["share", "capture"].map((id) => {
          const canvas = document.getElementById(id) as HTMLCanvasElement;
          const chart = (
            window as unknown as { Chart: { getChart(c: unknown): unknown } }
          ).Chart.getChart(canvas) as { data: { datasets: unknown[] } } | undefined;
          const context = canvas.getContext("2d")!;
          const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
          let painted = 0;
          for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
          return { datasets: chart?.data.datasets.length ?? 0, painted, width: canvas.width };
        }),
      );
      for (const chart of charts) {
        expect(chart.width).toBeGreaterThan(100);
        expect(chart.datasets).toBeGreaterThanOrEqual(2);
        expect(chart.painted).toBeGreaterThan(2_000);
      }
      expect(await page.locator("table tr").count()).toBe(1 + runs.length);
      await page.screenshot({
        path: new URL("simulate-report.png", ARTIFACTS).pathname,
        fullPage: true,
      });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
