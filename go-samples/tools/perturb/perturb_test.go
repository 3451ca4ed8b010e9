package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `package p

import (
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
	res, err := prepare(dir, "", "test")
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
	if !strings.Contains(got, "func goreproUserTestMain(m interface{ Run() int }) { goreproExit(m.Run()) }") {
		t.Errorf("TestMain not renamed or os.Exit not rewritten:\n%s", got)
	}
}

func TestSameInputSameOverlay(t *testing.T) {
	a, b := prepareSample(t), prepareSample(t)
	if len(a.Files) != len(b.Files) || a.Files[0].Contents != b.Files[0].Contents {
		t.Error("two rewrites of the same package differ")
	}
}
