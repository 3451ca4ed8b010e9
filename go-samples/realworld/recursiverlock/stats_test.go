package recursiverlock

import "testing"

func exercise(t *testing.T, report func() []string, s *Stats) {
	s.Add("login")
	s.Add("logout")
	if s.Count("logout") != 1 {
		t.Error("logout not counted")
	}
	// A reporter and a request handler run in the background; the test does
	// not wait for them.
	go func() {
		for _, line := range report() {
			_ = line
		}
	}()
	go s.Add("login")
}

func TestBuggy(t *testing.T) {
	s := NewStats()
	exercise(t, s.Report, s)
}

func TestFixed(t *testing.T) {
	s := NewStats()
	exercise(t, s.ReportFixed, s)
}
