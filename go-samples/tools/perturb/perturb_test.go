package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `package p

import (
	"fmt"
	"os"
	"sync"
)

func work(ch chan int, mu *sync.Mutex, wg *sync.WaitGroup) {
	mu.Lock()
	ch <- 1
	select {
	case v := <-ch:
		_ = v
	default:
	}
	go func() { wg.Done() }()
	wg.Wait()
	mu.Unlock()
}

func TestMain(m interface{ Run() int }) { os.Exit(m.Run()) }

func TestWork(t any) {}
`

func prepareSample(t *testing.T) *result {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p_test.go"), []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := prepare(dir, nil, "test")
	if err == nil {
		return res
	}
	t.Fatal(err)
	return nil
}

func TestEditsKeepEveryLineWhereItWas(t *testing.T) {
	res := prepareSample(t)
	got := res.Files[0].Contents
	want := strings.Split(sample, "\n")
	lines := strings.Split(got, "\n")
	for i, line := range want {
		if !strings.HasSuffix(lines[i], strings.TrimLeft(line, "\t")) && !strings.Contains(line, "TestMain") {
			t.Errorf("line %d moved or changed: %q became %q", i+1, line, lines[i])
		}
	}
	for _, site := range []string{"goreproYield(0); mu.Lock()", "goreproYield(1); ch <- 1", "goreproYield(2); select {",
		"goreproYield(3); go func()", "goreproYield(4); wg.Wait()"} {
		if !strings.Contains(got, site) {
			t.Errorf("no scheduling point %q in\n%s", site, got)
		}
	}
	if strings.Contains(got, "goreproYield(5)") || res.Sites != 5 {
		t.Errorf("want 5 scheduling points, got %d:\n%s", res.Sites, got)
	}
	// The supervisor of a test binary keeps a root that calls os.Exit itself.
	if !strings.Contains(got, "func goreproUserTestMain(m interface{ Run() int }) { os.Exit(m.Run()) }") {
		t.Errorf("TestMain not renamed, or its os.Exit rewritten:\n%s", got)
	}
}

const testsSample = `package p_test

import (
	"testing"
	tt "testing"
)

func TestNamed(t *testing.T) {
	t.Log("x")
}

func TestUnnamed(*tt.T) {}

func TestBlank(_ *testing.T) { println() }

func TestNotATest(t any) {}

func helper(t *testing.T) {}

func TestSubtests(t *testing.T) {
	t.Run("named", func(t *testing.T) { t.Log("x") })
	t.Run("blank", func(*testing.T) {})
	check := func(t *testing.T, n int) {}
	_ = check
}
`

func TestEveryTestSaysWhenItStartsOnItsOwnLine(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p_test.go"), []byte(testsSample), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := prepare(dir, nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	got := res.Files[0].Contents
	for _, want := range []string{
		"func TestNamed(t *testing.T) {goreproTestStarted(t); \n\tt.Log",
		"func TestUnnamed(goreproT *tt.T) {goreproTestStarted(goreproT); }",
		"func TestBlank(goreproT *testing.T) {goreproTestStarted(goreproT);  println() }",
		"func TestNotATest(t any) {}",
		"func helper(t *testing.T) {}",
		"func TestSubtests(t *testing.T) {goreproTestStarted(t); ",
		`t.Run("named", func(t *testing.T) {goreproTestStarted(t);  t.Log("x") })`,
		`t.Run("blank", func(goreproT *testing.T) {goreproTestStarted(goreproT); })`,
		"check := func(t *testing.T, n int) {}",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in\n%s", want, got)
		}
	}
	if n := strings.Count(got, "\n"); n != strings.Count(testsSample, "\n") {
		t.Errorf("%d lines, want %d", n, strings.Count(testsSample, "\n"))
	}
	var helperFile string
	for _, f := range res.Files {
		if filepath.Base(f.Target) == "zz_gorepro_tests_p_test_test.go" {
			helperFile = f.Contents
		}
	}
	if !strings.Contains(helperFile, "package p_test") || !strings.Contains(helperFile, "func goreproTestStarted(") {
		t.Errorf("no goreproTestStarted for package p_test in %+v", res.Files)
	}
}

func TestSameInputSameOverlay(t *testing.T) {
	a, b := prepareSample(t), prepareSample(t)
	if len(a.Files) != len(b.Files) || a.Files[0].Contents != b.Files[0].Contents {
		t.Error("two rewrites of the same package differ")
	}
}

// What m.Run runs, as go test counts it: tests, fuzz targets (their seed
// corpus) and examples with an output comment; benchmarks and silent examples
// are listed apart, and a package with only those gets no overlay.
func TestWhatRuns(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a_test.go": "package a\n\nimport \"testing\"\n\nfunc BenchmarkSum(b *testing.B) {}\n\nfunc Benchmarkless() {}\n\nfunc ExampleSum() {}\n",
		"b_test.go": "package a_test\n\nimport \"fmt\"\n\nfunc ExampleMean() {\n\tfmt.Println(1)\n\t// Output: 1\n}\n",
	}
	var paths []string
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	res, err := prepare(dir, paths, "test")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(res.Tests, res.Benchmarks, res.SilentExamples, len(res.Files))
	if want := "[ExampleMean] [BenchmarkSum] [ExampleSum] 3"; got != want {
		t.Errorf("tests, benchmarks, silent examples, files: got %s, want %s", got, want)
	}
	if err := os.Remove(filepath.Join(dir, "b_test.go")); err != nil {
		t.Fatal(err)
	}
	res, err = prepare(dir, paths[:0], "test")
	if err != nil {
		t.Fatal(err)
	}
	got = fmt.Sprint(res.Tests, res.Benchmarks, res.SilentExamples, len(res.Files))
	if want := "[] [BenchmarkSum] [ExampleSum] 0"; got != want {
		t.Errorf("benchmark-only package: got %s, want %s", got, want)
	}
}
