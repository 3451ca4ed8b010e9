// Loads pages of `gorepro report --html` in Debian's headless Chromium, takes screenshots and
// asserts on what the pages show: the swimlanes are there, the stuck lanes are marked, the
// blocked source lines are highlighted, nothing is fetched from the network.
// With a third directory, `gorepro diagnose --html` pages of the big fixture package
// (harness/tests/fixtures/diagnose/bigpool/ingest: 300 pool workers, publishers started through a
// shared wrapper) are checked too: its lanes bounded and the stuck ones first, the workers in one
// box of the wait-for graph, the blocked lines highlighted, the folded steps table within width.
//   usage: node check-report.mjs <html dir> <screenshot dir> [<diagnose html dir>]
import { chromium } from "playwright-core";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const [dir, shots, diagnoseDir] = process.argv.slice(2);
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

async function open(name, from = dir, shot = name.replace(/\.html$/, ".png")) {
  const url = "file://" + path.resolve(from, name);
  await page.goto(url, { waitUntil: "load" });
  await page.screenshot({ path: path.join(shots, shot), fullPage: true });
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

if (diagnoseDir) {
  await open("index.html", diagnoseDir, "diagnose-index.png");
  const link = page.locator("table#packages a", { hasText: "bigpool/ingest" });
  check(await link.count() === 1, "the diagnose index links the package's page");
  await link.click();
  await page.waitForLoadState("load");
  await page.screenshot({ path: path.join(shots, "diagnose-bigpool_ingest.png"), fullPage: true });
  check(page.url().endsWith("/bigpool_ingest.html"), `the link opens the package's page (${page.url()})`);
  check((await page.locator("#verdict").textContent()).includes("chan.range-not-closed"),
    "the verdict names the featured run's class");
  const dlanes = await page.locator("svg#swimlanes g.lane").evaluateAll((gs) =>
    gs.map((g) => ({ lane: g.dataset.lane, members: Number(g.dataset.members), stuck: g.classList.contains("stuck") })));
  check(dlanes.length >= 4 && dlanes.length <= 24, `a bounded number of lanes is drawn (${dlanes.length})`);
  check(dlanes.some((l) => l.members === 300 && l.stuck), "the 300 pool workers are one stuck lane");
  check(await page.locator("svg#swimlanes g.lane.stuck text.stuck-label", { hasText: "STUCK" }).count() === 4,
    "the four stuck lanes end in STUCK");
  const graph = page.locator("svg#wait-for-graph");
  check(await graph.isVisible(), "the wait-for graph is visible");
  const boxes = await page.locator("svg#wait-for-graph rect.goroutine").evaluateAll((rs) => rs.map((r) => Number(r.dataset.members)));
  check(boxes.includes(300) && boxes.length <= 12, `the workers share one box of the graph (boxes: ${JSON.stringify(boxes)})`);
  const graphBox = await graph.boundingBox();
  check(graphBox.height < 600, `the graph stays short (${graphBox.height} px)`);
  const steps = await page.locator("#steps").textContent();
  const widest = Math.max(...steps.split("\n").map((l) => [...l].length));
  check(widest <= 160, `the steps table is folded within 160 characters (widest ${widest})`);
  check(steps.split("\n")[0].trim().startsWith("G5..G304 (300 goroutines)"), "the steps table starts with the stuck workers");
  const dblocked = await page.locator("pre.src span.blocked").allTextContents();
  check(dblocked.some((l) => l.includes("for j := range p.jobs")) && dblocked.some((l) => l.includes("out <- r")),
    "the blocked lines (the workers' range, the publishers' send) are highlighted");
  check((await page.locator("#replay").textContent()).includes("--seed"), "the replay command carries the seed");
}

check(requests.every((u) => u.startsWith("file://")), `nothing but local files was loaded (${requests.length} requests)`);
await browser.close();
if (failures.length) {
  console.error(`browser check: ${failures.length} failure(s)`);
  process.exit(1);
}
console.log("browser check: all assertions hold");
