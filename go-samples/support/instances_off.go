//go:build !gorepro_instances

package support

// takeInstances has nothing to read without gorepro's runtime overlay (an
// exported scenario under plain `go run`): no instances.json.
func takeInstances() *rawInstances { return nil }
