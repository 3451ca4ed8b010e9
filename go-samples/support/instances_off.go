//go:build !gorepro_instances

package support

// takeInstances has nothing to read without gorepro's runtime overlay (an
// exported scenario under plain `go run`): no instances.json.
func takeInstances() *rawInstances { return nil }

// Without the overlay there is no system goroutine and no exit hook: a test
// binary is supervised from goroutine 1, as a program is.
const systemGoroutines = false

func goSystem(fn func()) { go fn() }

func setExitHook(func(code int)) {}
