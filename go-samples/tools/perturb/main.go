// Command perturb prepares a user's Go package for `gorepro diagnose`
// without touching it: it reads the package, and prints (as JSON on stdout)
// the files to lay over it with `go build -overlay` / `go test -c -overlay`:
//
//   - copies of the package's files with a seeded scheduling point,
//     goreproYield(site), inserted before every statement that sends,
//     receives, selects, closes a channel, starts a goroutine, or calls Lock,
//     RLock, Wait, Signal or Broadcast;
//   - the entry point handed to the supervisor: in a main package, main is
//     renamed goreproUserMain and a generated main calls
//     support.Main(goreproUserMain); in test mode a generated TestMain calls
//     support.MainTests, and a TestMain the package already has is renamed
//     goreproUserTestMain and called from it;
//   - os.Exit inside main becomes goreproExit, which ends the root goroutine
//     instead of the process, so the supervisor still sees the goroutines
//     left behind (a test binary's supervisor keeps a root that calls
//     os.Exit itself, wherever the call is: goleak.VerifyTestMain);
//   - in test mode, every top-level test calls goreproTestStarted(t) first,
//     on the line of its opening brace, so that the supervisor can tell which
//     test left which goroutine behind (support.TestStarted).
//
// Every edit is made in place on the original line (a call and a ";"
// before the statement, a renamed identifier), so the line numbers of the
// runtime's evidence are the user's own.
//
// Scheduling points are numbered in file order (files sorted by name) and
// the decision at a point (support.Yield) depends only on the seed, the
// point's number and how many times that point was reached: the same seed
// gives the same holds. ScheduleVersion names this numbering and support's
// decision function and hold budget; change it whenever one of them
// changes, so old seeds are refused rather than silently replayed
// differently.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ScheduleVersion is the seed format version; gorepro prints seeds as
// "v<ScheduleVersion>:<n>". Version 3: holds look before they wait, a point
// is held less often past its 16th visit, and holds that end at their
// bound are rationed (see support.Hold).
const ScheduleVersion = 3

// result is what perturb prints.
type result struct {
	ScheduleVersion int    `json:"schedule_version"`
	Package         string `json:"package"`
	Mode            string `json:"mode"` // main | test
	// What m.Run runs, as go test counts it: tests, fuzz targets (their seed
	// corpus) and examples with an output comment.
	Tests      []string `json:"tests"`
	Benchmarks []string `json:"benchmarks"`
	// Examples without an output comment: compiled, never run.
	SilentExamples []string  `json:"silent_examples"`
	Sites          int       `json:"sites"`
	Files          []overlay `json:"files"`
}

// overlay is one file of the overlay: the path go sees and its contents.
type overlay struct {
	Target   string `json:"target"`
	Contents string `json:"contents"`
}

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

type source struct {
	target string // the path go sees
	name   string
	data   []byte
	file   *ast.File
	fset   *token.FileSet
	test   bool
	edits  []edit
}

func main() {
	dir := flag.String("dir", "", "the package directory as go sees it")
	mode := flag.String("mode", "auto", "auto | main | test")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: perturb -dir DIR [-mode auto|main|test] [FILE.go...]\n"+
			"The FILEs are the package (as go list names them), each laid into DIR by its name;\n"+
			"without any, the package in DIR as go/build sees it.\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	res, err := prepare(*dir, flag.Args(), *mode)
	if err != nil {
		fmt.Fprintf(os.Stderr, "perturb: %v\n", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fmt.Fprintf(os.Stderr, "perturb: %v\n", err)
		os.Exit(1)
	}
}

func prepare(dir string, files []string, mode string) (*result, error) {
	var paths []string // real paths, read here
	var targets []string
	if len(files) > 0 {
		for _, f := range files {
			paths = append(paths, f)
			targets = append(targets, filepath.Join(dir, filepath.Base(f)))
		}
	} else {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			return nil, fmt.Errorf("reading the package in %s: %w", dir, err)
		}
		names := append(append(append([]string{}, pkg.GoFiles...), pkg.TestGoFiles...), pkg.XTestGoFiles...)
		sort.Strings(names)
		for _, n := range names {
			paths = append(paths, filepath.Join(dir, n))
			targets = append(targets, filepath.Join(dir, n))
		}
	}
	var srcs []*source
	for i, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, data, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("parsing: %w", err)
		}
		srcs = append(srcs, &source{target: targets[i], name: filepath.Base(p), data: data, file: f, fset: fset,
			test: strings.HasSuffix(p, "_test.go")})
	}
	if len(srcs) == 0 {
		return nil, fmt.Errorf("no Go files in %s", dir)
	}
	basePkg := ""
	hasMain := false
	tests := []string{}
	benchmarks := []string{}
	silentExamples := []string{}
	testMainPkg := ""
	for _, s := range srcs {
		if s.test {
			for _, ex := range doc.Examples(s.file) {
				if ex.Output != "" || ex.EmptyOutput {
					tests = append(tests, "Example"+ex.Name)
				} else {
					silentExamples = append(silentExamples, "Example"+ex.Name)
				}
			}
		}
		name := s.file.Name.Name
		if !s.test || !strings.HasSuffix(name, "_test") {
			basePkg = name
		}
		for _, d := range s.file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil {
				continue
			}
			switch {
			case !s.test && name == "main" && fn.Name.Name == "main":
				hasMain = true
			case s.test && fn.Name.Name == "TestMain":
				testMainPkg = name
			case s.test && (isTest(fn.Name.Name, "Test") || isTest(fn.Name.Name, "Fuzz")):
				tests = append(tests, fn.Name.Name)
			case s.test && isTest(fn.Name.Name, "Benchmark"):
				benchmarks = append(benchmarks, fn.Name.Name)
			}
		}
	}
	if basePkg == "" { // only external test files
		basePkg = strings.TrimSuffix(srcs[0].file.Name.Name, "_test")
	}
	switch mode {
	case "auto":
		if hasMain {
			mode = "main"
		} else if len(tests) > 0 {
			mode = "test"
		} else {
			return nil, fmt.Errorf("package %s has no main function and no tests to run", basePkg)
		}
	case "main":
		if !hasMain {
			return nil, fmt.Errorf("package %s has no main function", basePkg)
		}
	case "test":
	default:
		return nil, fmt.Errorf("unknown mode %q", mode)
	}
	sort.Strings(tests)
	sort.Strings(benchmarks)
	sort.Strings(silentExamples)

	res := &result{ScheduleVersion: ScheduleVersion, Package: basePkg, Mode: mode, Tests: tests,
		Benchmarks: benchmarks, SilentExamples: silentExamples}
	if mode == "test" && len(tests) == 0 { // nothing for m.Run to run: nothing to lay over
		return res, nil
	}
	sitePkgs := map[string]bool{}
	testPkgs := map[string]bool{} // packages whose tests call goreproTestStarted
	for _, s := range srcs {
		if mode == "main" && s.test {
			continue
		}
		before := res.Sites
		res.Sites = s.insertYields(res.Sites)
		if res.Sites > before {
			sitePkgs[s.file.Name.Name] = true
		}
		if mode == "main" && s.file.Name.Name == "main" {
			s.renameEntry("main", "goreproUserMain", true)
		}
		if mode == "test" && s.test && s.file.Name.Name == testMainPkg {
			s.renameEntry("TestMain", "goreproUserTestMain", false)
		}
		if mode == "test" && s.test && s.markTestStarts() {
			testPkgs[s.file.Name.Name] = true
		}
	}
	dir = filepath.Dir(srcs[0].target)
	for _, s := range srcs {
		if mode == "main" && s.test {
			continue
		}
		res.Files = append(res.Files, overlay{Target: s.target, Contents: s.apply()})
	}
	// The scheduling points: one definition per package that has some.
	pkgs := make([]string, 0, len(sitePkgs))
	for p := range sitePkgs {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		name := "zz_gorepro_sched.go"
		if mode == "test" && (strings.HasSuffix(p, "_test") || !hasNonTest(srcs, p)) {
			name = "zz_gorepro_sched_" + p + "_test.go"
		}
		res.Files = append(res.Files, overlay{Target: filepath.Join(dir, name), Contents: schedFile(p, res.Sites)})
	}
	for _, p := range sortedKeys(testPkgs) {
		res.Files = append(res.Files, overlay{Target: filepath.Join(dir, "zz_gorepro_tests_"+p+"_test.go"),
			Contents: testsFile(p)})
	}
	switch mode {
	case "main":
		res.Files = append(res.Files, overlay{Target: filepath.Join(dir, "zz_gorepro_main.go"), Contents: mainFile()})
	case "test":
		pkg := testMainPkg
		if pkg == "" {
			pkg = basePkg
		}
		res.Files = append(res.Files, overlay{Target: filepath.Join(dir, "zz_gorepro_main_test.go"),
			Contents: testMainFile(pkg, testMainPkg != "")})
	}
	return res, nil
}

func hasNonTest(srcs []*source, pkg string) bool {
	for _, s := range srcs {
		if !s.test && s.file.Name.Name == pkg {
			return true
		}
	}
	return false
}

// isTest reports whether name is a test, fuzz target or benchmark of the
// given prefix, by go test's rule: the prefix, then nothing or a character
// that is not a lower-case letter.
func isTest(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || name == "TestMain" {
		return false
	}
	return rest == "" || !(rest[0] >= 'a' && rest[0] <= 'z')
}

func (s *source) offset(p token.Pos) int { return s.fset.Position(p).Offset }

// insertYields numbers the scheduling points of the file from next on and
// returns the next free number.
func (s *source) insertYields(next int) int {
	ast.Inspect(s.file, func(n ast.Node) bool {
		var list []ast.Stmt
		switch b := n.(type) {
		case *ast.BlockStmt:
			list = b.List
		case *ast.CaseClause:
			list = b.Body
		case *ast.CommClause:
			list = b.Body
		default:
			return true
		}
		for _, st := range list {
			if isSchedulingPoint(st) {
				s.edits = append(s.edits, edit{start: s.offset(st.Pos()), end: s.offset(st.Pos()),
					text: "goreproYield(" + strconv.Itoa(next) + "); "})
				next++
			}
		}
		return true
	})
	return next
}

// isSchedulingPoint reports whether a statement (its own expressions, not
// the blocks or function literals inside it) touches a channel, starts a
// goroutine, or locks or waits.
func isSchedulingPoint(st ast.Stmt) bool {
	switch st := st.(type) {
	case *ast.SendStmt, *ast.GoStmt, *ast.SelectStmt:
		return true
	case *ast.LabeledStmt:
		return isSchedulingPoint(st.Stmt)
	case *ast.BlockStmt, *ast.IfStmt, *ast.ForStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.DeferStmt:
		return false // their parts are visited as statements of their own
	case *ast.CaseClause, *ast.CommClause:
		return false // a clause of a switch or select: nothing can precede it
	case *ast.RangeStmt:
		return hasChannelOp(st.X)
	}
	return hasChannelOp(st)
}

func hasChannelOp(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if found {
			return false
		}
		switch e := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.UnaryExpr:
			if e.Op == token.ARROW {
				found = true
			}
		case *ast.CallExpr:
			switch fun := e.Fun.(type) {
			case *ast.Ident:
				found = fun.Name == "close" && len(e.Args) == 1
			case *ast.SelectorExpr:
				switch fun.Sel.Name {
				case "Lock", "RLock", "Wait", "Signal", "Broadcast":
					found = len(e.Args) == 0
				}
			}
		}
		return !found
	})
	return found
}

// markTestStarts makes every test of the file call goreproTestStarted first,
// right after its opening brace: each top-level test (a function TestX whose
// one parameter is a *testing.T) and each function literal whose one parameter
// is a *testing.T (a subtest's body, as t.Run takes it), so that a subtest's
// end claims its goroutines while the goroutine that started them is still
// there. A parameter without a name gets one. It reports whether it marked any.
func (s *source) markTestStarts() bool {
	marked := false
	for _, d := range s.file.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && isTest(fn.Name.Name, "Test") {
			marked = s.markTestStart(fn.Type, fn.Body) || marked
		}
	}
	ast.Inspect(s.file, func(n ast.Node) bool {
		if lit, ok := n.(*ast.FuncLit); ok {
			marked = s.markTestStart(lit.Type, lit.Body) || marked
		}
		return true
	})
	return marked
}

// markTestStart marks one function if its one parameter is a *testing.T.
func (s *source) markTestStart(typ *ast.FuncType, body *ast.BlockStmt) bool {
	if body == nil || typ.Params == nil || len(typ.Params.List) != 1 || len(typ.Params.List[0].Names) > 1 {
		return false
	}
	param := typ.Params.List[0]
	star, ok := param.Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	if sel, ok := star.X.(*ast.SelectorExpr); !ok || sel.Sel.Name != "T" {
		return false
	}
	name := "goreproT"
	switch {
	case len(param.Names) == 0:
		s.edits = append(s.edits, edit{start: s.offset(param.Type.Pos()), end: s.offset(param.Type.Pos()), text: name + " "})
	case param.Names[0].Name == "_":
		s.edits = append(s.edits, edit{start: s.offset(param.Names[0].Pos()), end: s.offset(param.Names[0].End()), text: name})
	default:
		name = param.Names[0].Name
	}
	at := s.offset(body.Lbrace) + 1
	s.edits = append(s.edits, edit{start: at, end: at, text: "goreproTestStarted(" + name + "); "})
	return true
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// testsFile defines goreproTestStarted for one package of tests.
func testsFile(pkg string) string {
	return fmt.Sprintf(`// Code generated by gorepro diagnose; DO NOT EDIT.

package %s

import goreproSupport "gorepro.dev/samples/support"

// goreproTestStarted lets the supervisor tell which test left which goroutine
// behind.
func goreproTestStarted(t goreproSupport.TestingT) { goreproSupport.TestStarted(t) }
`, pkg)
}

// renameEntry renames the package-level function from to to, and, with
// rewriteExit, turns os.Exit calls inside it into goreproExit.
func (s *source) renameEntry(from, to string, rewriteExit bool) {
	osName := ""
	for _, imp := range s.file.Imports {
		if imp.Path.Value == `"os"` {
			osName = "os"
			if imp.Name != nil {
				osName = imp.Name.Name
			}
		}
	}
	for _, d := range s.file.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || fn.Name.Name != from || fn.Body == nil {
			continue
		}
		s.edits = append(s.edits, edit{start: s.offset(fn.Name.Pos()), end: s.offset(fn.Name.End()), text: to})
		if !rewriteExit || osName == "" || osName == "_" {
			continue
		}
		exits := 0
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if ok && sel.Sel.Name == "Exit" {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == osName {
					s.edits = append(s.edits, edit{start: s.offset(sel.Pos()), end: s.offset(sel.End()), text: "goreproExit"})
					exits++
				}
			}
			return true
		})
		if exits > 0 { // keep the import used, after the last line
			s.edits = append(s.edits, edit{start: len(s.data), end: len(s.data), text: "\nvar _ = " + osName + ".Exit\n"})
		}
	}
}

func (s *source) apply() string {
	sort.SliceStable(s.edits, func(i, j int) bool { return s.edits[i].start < s.edits[j].start })
	var b strings.Builder
	at := 0
	for _, e := range s.edits {
		b.Write(s.data[at:e.start])
		b.WriteString(e.text)
		at = e.end
	}
	b.Write(s.data[at:])
	return b.String()
}

// schedFile defines goreproYield for one package: it counts the visits of
// each point and hands the decision to support.Yield, a function of the
// seed (GOREPRO_PERTURB_SEED; unset or 0 turns every point into a no-op),
// the point's number and the visit.
func schedFile(pkg string, sites int) string {
	return fmt.Sprintf(`// Code generated by gorepro diagnose (schedule v%d); DO NOT EDIT.

package %s

import (
	"sync/atomic"

	goreproSupport "gorepro.dev/samples/support"
)

var goreproVisits [%d]atomic.Uint64

func goreproYield(site int) { goreproSupport.Yield(site, goreproVisits[site].Add(1)) }
`, ScheduleVersion, pkg, sites)
}

const exitHelper = `
// goreproExitCode is the status passed to os.Exit by the program's entry
// point; goreproExit ends the root goroutine instead of the process so the
// supervisor can look at what is left.
var goreproExitCode int

func goreproExit(code int) {
	goreproExitCode = code
	if code != 0 {
		fmt.Fprintf(os.Stderr, "gorepro: os.Exit(%d) called\n", code)
	}
	runtime.Goexit()
}
`

func mainFile() string {
	return `// Code generated by gorepro diagnose; DO NOT EDIT.

package main

import (
	"fmt"
	"os"
	"runtime"

	"gorepro.dev/samples/support"
)

func main() { support.Main(goreproUserMain) }
` + exitHelper
}

func testMainFile(pkg string, userTestMain bool) string {
	run := "m"
	extra := ""
	if userTestMain {
		run = "goreproTestMain{m}"
		extra = `
// goreproTestMain runs the package's own TestMain where support.MainTests
// expects m.Run.
type goreproTestMain struct{ m *testing.M }

func (t goreproTestMain) Run() int {
	goreproUserTestMain(t.m)
	return goreproExitCode
}
`
	}
	return fmt.Sprintf(`// Code generated by gorepro diagnose; DO NOT EDIT.

package %s

import (
	"fmt"
	"os"
	"runtime"
	"testing"

	"gorepro.dev/samples/support"
)

// TestMain hands the tests to the supervisor. It selects the tests from
// GOREPRO_TEST_RUN and switches the test alarm off (the supervisor decides
// when a run is stuck; the alarm's timer would also silence the runtime's
// own deadlock check).
func TestMain(m *testing.M) {
	support.MainTests(%s)
}
%s%s`, pkg, run, extra, exitHelper)
}
