//! `gorepro diagnose` shaped like `go test`, driven from outside on a module named the way
//! services are (`module shop`, no dot): `./...` over several packages, go test's flags after
//! the packages, the user's environment reaching the tests, a file that imports its module's
//! packages, and `-race`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A cart whose Checkout locks the cart, then calls Total, which locks it again. The test of
/// CheckoutAsync returns at once, leaving the checkout blocked behind it.
const CART: &str = "// Package cart holds a shopper's cart.
package cart

import \"sync\"

// Cart is safe for concurrent use.
type Cart struct {
	mu    sync.Mutex
	items map[string]int
}

// New returns an empty cart.
func New() *Cart { return &Cart{items: map[string]int{}} }

// Add puts n of sku in the cart.
func (c *Cart) Add(sku string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items[sku] += n
}

// Total prices the cart.
func (c *Cart) Total(prices map[string]int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	total := 0
	for sku, n := range c.items {
		total += prices[sku] * n
	}
	return total
}

// Checkout empties the cart and returns what it cost.
func (c *Cart) Checkout(prices map[string]int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	total := c.Total(prices)
	clear(c.items)
	return total
}

// CheckoutAsync checks the cart out in the background; the total arrives on the channel.
func (c *Cart) CheckoutAsync(prices map[string]int) <-chan int {
	done := make(chan int, 1)
	go func() { done <- c.Checkout(prices) }()
	return done
}
";

const CART_TEST: &str = "package cart

import (
	\"testing\"
	\"time\"
)

var prices = map[string]int{\"apple\": 3, \"pear\": 5}

func TestTotal(t *testing.T) {
	c := New()
	c.Add(\"apple\", 2)
	c.Add(\"pear\", 1)
	if got := c.Total(prices); got != 11 {
		t.Fatalf(\"Total = %d, want 11\", got)
	}
}

func TestCheckoutAsyncReturnsAtOnce(t *testing.T) {
	c := New()
	c.Add(\"apple\", 1)
	start := time.Now()
	c.CheckoutAsync(prices)
	if waited := time.Since(start); waited > time.Second {
		t.Fatalf(\"CheckoutAsync blocked for %v\", waited)
	}
}
";

/// An external test of the cart that also uses the inventory: named alone, it builds inside
/// the module.
const CART_RESERVE_TEST: &str = "package cart_test

import (
	\"testing\"

	\"shop/cart\"
	\"shop/inventory\"
)

func TestReserveWhatIsInTheCart(t *testing.T) {
	c := cart.New()
	c.Add(\"apple\", 2)
	stock := inventory.NewStock(\"eu\", map[string]int{\"apple\": 2})
	if err := stock.Reserve(\"apple\", 2); err != nil {
		t.Fatal(err)
	}
	if got := c.Total(map[string]int{\"apple\": 3}); got != 6 {
		t.Fatalf(\"Total = %d, want 6\", got)
	}
}
";

const INVENTORY: &str = "// Package inventory counts stock per warehouse region.
package inventory

import (
	\"errors\"
	\"sync\"
)

// ErrOutOfStock is returned when a reservation asks for more than there is.
var ErrOutOfStock = errors.New(\"out of stock\")

// Stock is safe for concurrent use.
type Stock struct {
	mu     sync.Mutex
	region string
	counts map[string]int
}

// NewStock returns the stock of a region.
func NewStock(region string, counts map[string]int) *Stock {
	return &Stock{region: region, counts: counts}
}

// Region is where the stock is.
func (s *Stock) Region() string { return s.region }

// Reserve takes n of sku out of stock.
func (s *Stock) Reserve(sku string, n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counts[sku] < n {
		return ErrOutOfStock
	}
	s.counts[sku] -= n
	return nil
}
";

const INVENTORY_TEST: &str = "package inventory

import (
	\"sync\"
	\"testing\"
)

func TestReserve(t *testing.T) {
	s := NewStock(\"test\", map[string]int{\"apple\": 10})
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Reserve(\"apple\", 2); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := s.Reserve(\"apple\", 1); err != ErrOutOfStock {
		t.Fatalf(\"Reserve after selling out = %v, want ErrOutOfStock\", err)
	}
}
";

/// Tests that need the deployment's region from the environment, and a long one that honours
/// -short.
const INVENTORY_REGION_TEST: &str = "package inventory

import (
	\"os\"
	\"testing\"
)

func TestStockForRegion(t *testing.T) {
	region := os.Getenv(\"SHOP_REGION\")
	if region == \"\" {
		t.Fatal(\"SHOP_REGION is not set\")
	}
	if s := NewStock(region, nil); s.Region() != region {
		t.Fatalf(\"Region = %q, want %q\", s.Region(), region)
	}
}

func TestLongRestock(t *testing.T) {
	if testing.Short() {
		t.Skip(\"restocking takes long\")
	}
	t.Fatal(\"restocking is not written yet\")
}
";

const INVENTORY_INTEGRATION_TEST: &str = "//go:build integration

package inventory

import \"testing\"

func TestWarehouseSync(t *testing.T) {
	s := NewStock(\"eu\", map[string]int{\"pear\": 1})
	if err := s.Reserve(\"pear\", 1); err != nil {
		t.Fatal(err)
	}
}
";

const METRICS: &str = "// Package metrics summarises order values.
package metrics

// Mean is the average of xs, 0 for none.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}
";

/// Only a benchmark: `go test` runs nothing here without -bench.
const METRICS_TEST: &str = "package metrics

import \"testing\"

func BenchmarkMean(b *testing.B) {
	xs := make([]float64, 1000)
	for b.Loop() {
		Mean(xs)
	}
}
";

/// A view counter incremented from several goroutines without a lock.
const STATS: &str = "// Package stats counts page views.
package stats

// Views counts page views.
type Views struct {
	n int
}

// Hit records one view.
func (v *Views) Hit() { v.n++ }

// Count is the number of views.
func (v *Views) Count() int { return v.n }
";

const STATS_TEST: &str = "package stats

import (
	\"sync\"
	\"testing\"
)

func TestConcurrentHits(t *testing.T) {
	var v Views
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.Hit()
		}()
	}
	wg.Wait()
	if v.Count() == 0 {
		t.Fatal(\"no views counted\")
	}
}
";

/// A module `shop` in a temp dir with the given files (paths relative to its root).
fn shop(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module shop\n\ngo 1.26\n").unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// `gorepro diagnose <args>` run in `dir`, offline, without SHOP_REGION unless a test sets it.
fn gorepro(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gorepro"));
    command
        .arg("diagnose")
        .args(args)
        .current_dir(dir)
        .env("GOPROXY", "off")
        .env_remove("SHOP_REGION");
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_lines(output: &Output) -> Vec<Value> {
    text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

/// The lines of one kind for one package.
fn lines_of<'a>(lines: &'a [Value], kind: &str, import_path: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|l| l["kind"] == kind && l["import_path"] == import_path)
        .collect()
}

/// Every file under `dir` with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn dot_dot_dot_finds_the_bug_in_its_package_and_says_the_benchmarks_did_not_run() {
    let module = shop(&[
        ("cart/cart.go", CART),
        ("cart/cart_test.go", CART_TEST),
        ("inventory/inventory.go", INVENTORY),
        ("inventory/inventory_test.go", INVENTORY_TEST),
        ("metrics/metrics.go", METRICS),
        ("metrics/metrics_test.go", METRICS_TEST),
    ]);
    let output = gorepro(module.path(), &["./...", "--runs", "2", "--json"])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let lines = json_lines(&output);

    // The cart: every seed leaves the checkout blocked on the cart's own lock.
    let cart = lines_of(&lines, "summary", "shop/cart");
    assert_eq!(cart.len(), 1, "{lines:#?}");
    assert_eq!(
        cart[0]["path"],
        module.path().join("cart").to_str().unwrap()
    );
    assert_eq!((&cart[0]["runs"], &cart[0]["hits"]), (&2.into(), &2.into()));
    let class = cart[0]["classes"][0]["class"].as_str().unwrap_or("");
    assert_eq!(cart[0]["classes"][0]["outcome"], "leak", "{}", cart[0]);
    assert!(class.starts_with("mutex."), "{class}");
    for seed in lines_of(&lines, "seed", "shop/cart") {
        let stuck = &seed["diagnosis"]["stuck"];
        assert_eq!(stuck.as_array().map(Vec::len), Some(1), "{seed}");
        assert_eq!(stuck[0]["wait"], "sync.Mutex.Lock", "{seed}");
        assert_eq!(seed["failed_tests"], serde_json::json!([]));
    }

    // The inventory: clean on every seed.
    let inventory = lines_of(&lines, "summary", "shop/inventory");
    assert_eq!(
        (&inventory[0]["hits"], &inventory[0]["test_failures"]),
        (&0.into(), &0.into()),
        "{}",
        inventory[0]
    );
    assert_eq!(inventory[0]["runs"], 2);

    // The metrics: a benchmark only, which go test does not run without -bench.
    let metrics = lines_of(&lines, "skipped", "shop/metrics");
    assert_eq!(metrics.len(), 1, "{lines:#?}");
    assert_eq!(metrics[0]["reason"], "nothing-to-run");
    assert_eq!(
        metrics[0]["benchmarks"],
        serde_json::json!(["BenchmarkMean"])
    );
    assert!(lines_of(&lines, "seed", "shop/metrics").is_empty());

    let total = lines.last().unwrap();
    assert_eq!(total["kind"], "total");
    assert_eq!(
        (
            &total["packages"],
            &total["explored"],
            &total["with_findings"],
            &total["findings_in"],
            &total["skipped"],
            &total["failing_tests"]
        ),
        (
            &3.into(),
            &2.into(),
            &1.into(),
            &serde_json::json!(["shop/cart"]),
            &1.into(),
            &0.into()
        )
    );

    // The same for people: a section per package, go test's line for the benchmarks, a total.
    let output = gorepro(module.path(), &["./...", "--runs", "2"])
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let headers: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("diagnose "))
        .collect();
    assert_eq!(headers.len(), 2, "{stdout}");
    assert!(headers[0].contains("(shop/cart: package cart, test mode"));
    assert!(headers[1].contains("(shop/inventory: package inventory, test mode"));
    assert!(
        stdout.contains(
            "?   shop/metrics [no tests to run; benchmarks not run (go test runs them only with -bench): BenchmarkMean]"
        ),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with(
            "total: 3 packages: 1 with findings (shop/cart), 1 clean, 1 skipped; 0 failing tests"
        ),
        "{stdout}"
    );
}

#[test]
fn run_short_v_and_the_users_environment_reach_the_tests() {
    let module = shop(&[
        ("inventory/inventory.go", INVENTORY),
        ("inventory/inventory_test.go", INVENTORY_TEST),
        ("inventory/region_test.go", INVENTORY_REGION_TEST),
    ]);
    // The region test reads the variable the user set; -run selects it alone (-v shows which
    // tests ran, on stderr).
    let args = [
        "./inventory",
        "-run",
        "^TestStockForRegion$",
        "-v",
        "--runs",
        "1",
    ];
    let output = gorepro(module.path(), &args)
        .env("SHOP_REGION", "eu-west")
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("=== RUN   TestStockForRegion"), "{stderr}");
    assert!(stderr.contains("--- PASS: TestStockForRegion"), "{stderr}");
    assert!(!stderr.contains("=== RUN   TestReserve"), "{stderr}");
    assert!(!stderr.contains("=== RUN   TestLongRestock"), "{stderr}");
    assert!(
        stdout.contains("-run=^TestStockForRegion$ -v)"),
        "the header names the flags: {stdout}"
    );
    // Without it, the same test fails: the variable is what made it pass.
    let output = gorepro(module.path(), &args).output().unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "failed test TestStockForRegion:\n    region_test.go:11: SHOP_REGION is not set"
        ) || stdout.contains("tests failed in 1/1 runs: TestStockForRegion (1/1)"),
        "{stdout}"
    );

    // -short: the long test skips itself instead of failing.
    let args = [
        "./inventory",
        "-run=TestReserve|TestLongRestock",
        "--runs",
        "1",
    ];
    let output = gorepro(module.path(), &[&args[..], &["--json"]].concat())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let lines = json_lines(&output);
    assert_eq!(
        lines[0]["failed_tests"][0]["name"], "TestLongRestock",
        "{}",
        lines[0]
    );
    assert_eq!(lines[0]["failed_tests"].as_array().unwrap().len(), 1);
    let output = gorepro(module.path(), &[&args[..], &["-short", "--json"]].concat())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let lines = json_lines(&output);
    assert_eq!(lines[0]["tests_failed"], false, "{}", lines[0]);
    assert_eq!(
        lines[0]["test_flags"],
        serde_json::json!(["-run=TestReserve|TestLongRestock", "-short"])
    );
}

#[test]
fn tags_select_files_and_count_repeats_each_test() {
    let module = shop(&[
        ("inventory/inventory.go", INVENTORY),
        ("inventory/inventory_test.go", INVENTORY_TEST),
        (
            "inventory/warehouse_integration_test.go",
            INVENTORY_INTEGRATION_TEST,
        ),
    ]);
    let sync = ["./inventory", "-run", "TestWarehouseSync", "--runs", "1"];
    // Without the tag the file is not part of the package: nothing matches.
    let output = gorepro(module.path(), &sync).output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("-run TestWarehouseSync matches no test in")
            && stderr.contains("its tests are: TestReserve"),
        "{stderr}"
    );
    let output = gorepro(
        module.path(),
        &[&sync[..], &["-tags", "integration", "-v"]].concat(),
    )
    .output()
    .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("--- PASS: TestWarehouseSync"), "{stderr}");

    // -count 2: one run of the test binary runs the test twice. No package named: the one in
    // the current directory, as for go test.
    let output = gorepro(
        &module.path().join("inventory"),
        &["-run=^TestReserve$", "-count=2", "-v", "--runs", "1"],
    )
    .output()
    .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr.matches("=== RUN   TestReserve\n").count(),
        2,
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("--- PASS: TestReserve").count(),
        2,
        "{stderr}"
    );
}

#[test]
fn a_file_inside_a_module_imports_its_packages() {
    let module = shop(&[
        ("cart/cart.go", CART),
        ("cart/reserve_test.go", CART_RESERVE_TEST),
        ("inventory/inventory.go", INVENTORY),
    ]);
    let before = tree(module.path());
    let output = gorepro(
        module.path(),
        &["cart/reserve_test.go", "--runs", "1", "--json"],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let lines = json_lines(&output);
    let seed = &lines[0];
    assert_eq!(seed["kind"], "seed");
    assert_eq!(seed["import_path"], "command-line-arguments");
    assert_eq!(seed["mode"], "test");
    assert_eq!(
        seed["path"],
        module.path().join("cart/reserve_test.go").to_str().unwrap()
    );
    assert_eq!(
        (&seed["outcome"], &seed["tests_failed"]),
        (&"clean".into(), &false.into())
    );
    assert_eq!(before, tree(module.path()), "diagnose changed the module");
}

#[test]
fn race_builds_with_the_race_detector_and_reports_the_race() {
    let module = shop(&[
        ("stats/stats.go", STATS),
        ("stats/stats_test.go", STATS_TEST),
    ]);
    // Without a C compiler, -race cannot build: a clear error, exit 2.
    let output = gorepro(module.path(), &["./stats", "-race", "--runs", "1"])
        .env("CC", "/nonexistent/cc")
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("-race needs cgo and a C compiler") && stderr.contains("/nonexistent/cc"),
        "{stderr}"
    );
    let has_c_compiler = Command::new("cc").arg("--version").output().is_ok();
    if !has_c_compiler {
        eprintln!("no C compiler on this machine: the race itself is not checked");
        return;
    }
    let output = gorepro(
        module.path(),
        &["./stats", "-race", "--runs", "1", "--json"],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let lines = json_lines(&output);
    let seed = &lines[0];
    assert_eq!(
        (&seed["outcome"], &seed["class"]),
        (&"data-race".into(), &"race.unsynchronized-access".into()),
        "{seed}"
    );
    assert_eq!(seed["failed_tests"][0]["name"], "TestConcurrentHits");
    assert_eq!(seed["test_flags"], serde_json::json!(["-race"]));
}

#[test]
fn a_vendored_module_builds_from_the_module_cache_and_says_so() {
    let module = shop(&[
        (
            "go.mod",
            "module shop\n\ngo 1.26\n\nrequire shop.local/money v0.0.0\n\nreplace shop.local/money => ./money\n",
        ),
        ("money/go.mod", "module shop.local/money\n\ngo 1.26\n"),
        (
            "money/money.go",
            "// Package money formats amounts in cents.\npackage money\n\nimport \"fmt\"\n\n// Format writes cents as units.\nfunc Format(cents int) string { return fmt.Sprintf(\"%d.%02d\", cents/100, cents%100) }\n",
        ),
        (
            "receipt/receipt_test.go",
            "package receipt\n\nimport (\n\t\"testing\"\n\n\t\"shop.local/money\"\n)\n\nfunc TestFormat(t *testing.T) {\n\tif got := money.Format(1205); got != \"12.05\" {\n\t\tt.Fatalf(\"Format = %q\", got)\n\t}\n}\n",
        ),
    ]);
    let go = std::env::var_os("GOREPRO_GO").unwrap_or_else(|| "go".into());
    let vendored = Command::new(go)
        .args(["mod", "vendor"])
        .current_dir(module.path())
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .output()
        .unwrap();
    assert!(vendored.status.success(), "{}", text(&vendored.stderr));
    assert!(module.path().join("vendor/modules.txt").is_file());
    let output = gorepro(module.path(), &["./receipt", "--runs", "1", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let lines = json_lines(&output);
    let summary = lines_of(&lines, "summary", "shop/receipt");
    assert_eq!(summary[0]["hits"], 0, "{}", summary[0]);
    assert!(
        summary[0]["notes"][0]
            .as_str()
            .is_some_and(|n| n.starts_with("vendor/ is not used")),
        "{}",
        summary[0]
    );
}
