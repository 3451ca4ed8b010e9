package support

import "time"

// Hooks for the external tests of package support_test, whose goroutines are
// scenario goroutines to a hold (those of package support are not).

// HoldRegistry is a hold registry of a test's own, so that the budget one
// test spends does not leak into another.
type HoldRegistry struct{ r *holdRegistry }

func NewHoldRegistry() HoldRegistry { return HoldRegistry{newHoldRegistry()} }

func (h HoldRegistry) Hold(site int, priority uint64, bound time.Duration) {
	h.r.hold(site, priority, bound)
}

// Costs returns the time during which a goroutine was held, the holds, and
// those that ended at their bound.
func (h HoldRegistry) Costs() (time.Duration, int, int) {
	s := h.r.costs()
	return s.heldFor, s.count, s.atBound
}

var HoldAt = holdAt

const (
	HoldKnee       = holdKnee
	SiteAtBoundMax = siteAtBoundMax
	RunAtBoundMax  = runAtBoundMax
)
