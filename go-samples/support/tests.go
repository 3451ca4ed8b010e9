package support

import (
	"flag"
	"fmt"
	"os"
)

// MainTests is Main for a test binary, called from a TestMain that
// `gorepro diagnose` generates: m.Run runs on the root goroutine, so a test
// that hangs is a deadlock and goroutines left behind when the tests return
// are a leak (goleak-style, at the end of the package's tests).
//
// Before the tests start it sets -test.timeout=0 (the supervisor decides when
// a run is stuck, and the alarm's timer would silence the runtime's own
// deadlock check), -test.run from GOREPRO_TEST_RUN when set, and changes to
// GOREPRO_TEST_DIR when set, the package directory `go test` would run in.
// A failing test is not a verdict: it prints "gorepro: tests exit status N"
// on stderr and the verdict stays what the goroutines say.
func MainTests(m interface{ Run() int }) {
	if !flag.Parsed() {
		flag.Parse()
	}
	settings := [][2]string{{"test.timeout", "0"}, {"test.run", os.Getenv("GOREPRO_TEST_RUN")}}
	for _, s := range settings {
		if s[1] == "" {
			continue
		}
		if err := flag.Set(s[0], s[1]); err != nil {
			fmt.Fprintf(os.Stderr, "gorepro: config error: -%s: %v\n", s[0], err)
			os.Exit(exitConfig)
		}
	}
	if dir := os.Getenv("GOREPRO_TEST_DIR"); dir != "" {
		if err := os.Chdir(dir); err != nil {
			fmt.Fprintf(os.Stderr, "gorepro: config error: GOREPRO_TEST_DIR: %v\n", err)
			os.Exit(exitConfig)
		}
	}
	run := func() {
		if code := m.Run(); code != 0 {
			fmt.Fprintf(os.Stderr, "gorepro: tests exit status %d\n", code)
		}
	}
	if systemGoroutines {
		mainInPlace(run)
	}
	Main(run)
}
