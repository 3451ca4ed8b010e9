// Loads pages of `gorepro report --html` in Debian's headless Chromium, takes screenshots and
// asserts on what the pages show: the swimlanes are there, the stuck lanes are marked, the
// blocked source lines are highlighted, nothing is fetched from the network.
//   usage: node check-report.mjs <html dir> <screenshot dir>
import { chromium } from "playwright-core";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const [dir, shots] = process.argv.slice(2);
if (!dir || !shots) {
  console.error("usage: node check-report.mjs <html dir> <screenshot dir>");
  process.exit(2);
}

const failures = [];
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
}

const browser = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), "gorepro-chromium-")), {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: 1280, height: 900 },
});
const page = await browser.newPage();
const requests = [];
page.on("request", (request) => requests.push(request.url()));

async function open(name) {
  const url = "file://" + path.resolve(dir, name);
  await page.goto(url, { waitUntil: "load" });
  await page.screenshot({ path: path.join(shots, name.replace(/\.html$/, ".png")), fullPage: true });
}

// A page whose story has a stuck lane: G3 G4 sleep in Cond.Wait, G1 in WaitGroup.Wait.
await open("cond-signal-not-broadcast-buggy.html");
const svg = page.locator("svg#swimlanes");
check(await svg.isVisible(), "the swimlane SVG is visible");
const lanes = await page.locator("svg#swimlanes g.lane").evaluateAll((gs) =>
  gs.map((g) => ({ lane: g.dataset.lane, stuck: g.classList.contains("stuck") })));
check(JSON.stringify(lanes.map((l) => l.lane)) === JSON.stringify(["G1", "G2", "G3 G4"]),
  `three lanes G1, G2, "G3 G4" (got ${JSON.stringify(lanes.map((l) => l.lane))})`);
check(JSON.stringify(lanes.filter((l) => l.stuck).map((l) => l.lane)) === JSON.stringify(["G1", "G3 G4"]),
  "G1 and G3 G4 are the stuck lanes, G2 is not");
const stuckEnds = page.locator("svg#swimlanes g.lane.stuck rect.stuck-end");
check(await stuckEnds.count() === 2, "each stuck lane ends in an outlined segment");
const stuckEnd = await stuckEnds.first().evaluate((r) => {
  const box = r.getBoundingClientRect();
  return { stroke: getComputedStyle(r).stroke, fill: getComputedStyle(r).fill, width: box.width, height: box.height };
});
check(stuckEnd.width > 10 && stuckEnd.height > 10, `the stuck segment is drawn (${stuckEnd.width}x${stuckEnd.height} px)`);
check(stuckEnd.stroke === "rgb(122, 0, 0)", `the stuck segment is outlined dark red (${stuckEnd.stroke})`);
check(await page.locator("svg#swimlanes text.stuck-label", { hasText: "STUCK" }).count() === 2,
  "the word STUCK ends both stuck lanes");
check(await page.locator("svg#swimlanes line.edge").count() >= 1, "a blocking edge (who woke whom) is drawn");
const edge = await page.locator("svg#swimlanes line.edge title").first().textContent();
check(edge === "G1 woke G2", `the edge goes from G1 (the Signal) to G2 (got ${edge})`);
const blocked = await page.locator("pre.src span.blocked").allTextContents();
check(blocked.some((l) => l.includes("g.cond.Wait()")) && blocked.some((l) => l.includes("wg.Wait()")),
  "the blocked source lines (cond.Wait, wg.Wait) are highlighted");
check((await page.locator("#diagnosis").textContent()).includes("class:    cond.signal-not-broadcast"),
  "the diagnosis names the class");
check((await page.locator("#steps").textContent()).includes("Cond.Signal buggy.go:11 -> G2"),
  "the relevant-steps table shows the Signal that woke G2 only");

// A page whose goroutine failed: the lane is marked FAILED.
await open("wg-reuse-buggy.html");
check(await page.locator("svg#swimlanes g.lane.stuck[data-lane=G2] text.stuck-label", { hasText: "FAILED" }).count() === 1,
  "wg-reuse: the panicking watcher's lane G2 is marked FAILED");

// The index lists every run with its class and outcome.
await open("index.html");
const rows = await page.locator("table#runs tr").count();
check(rows > 50, `the index lists the catalog (${rows - 1} runs)`);
check(await page.locator("table#runs td.fail").count() === 0, "every run in the index is as expected");

check(requests.every((u) => u.startsWith("file://")), `nothing but local files was loaded (${requests.length} requests)`);
await browser.close();
if (failures.length) {
  console.error(`browser check: ${failures.length} failure(s)`);
  process.exit(1);
}
console.log("browser check: all assertions hold");
