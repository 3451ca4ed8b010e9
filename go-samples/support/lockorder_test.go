package support

import (
	"reflect"
	"strings"
	"testing"
)

// edgeRecord builds an edge record as goreproLockOrder writes it.
func edgeRecord(from, to, goid, shared uint64, gates []uint64, pcs []uintptr) []uint64 {
	r := make([]uint64, instEdgeWords)
	r[0], r[1], r[2], r[3] = from, to, goid, shared
	copy(r[4:4+instEdgeGates], gates)
	for i, pc := range pcs[:min(len(pcs), instEdgePCs)] {
		r[4+instEdgeGates+i] = uint64(pc)
		r[4+instEdgeGates+instEdgePCs+i] = uint64(pc)
	}
	return r
}

func TestLockOrderRecordsDecodeToEdges(t *testing.T) {
	pcs := acquiredHere()
	records := [][]uint64{
		edgeRecord(0x2000|1, 0x1000|2, 8, 1, nil, pcs),
		edgeRecord(0x1000|2, 0x2000|1, 7, 0, []uint64{0x3000 | 1}, pcs),
	}
	edges := decodeLockOrder(&rawLockOrder{edges: flatten(records), n: len(records), edgesDropped: 2})
	type brief struct {
		from, fromKind, fromMode, to, toKind, toMode string
		goid                                         uint64
		shared                                       bool
		gates                                        []string
	}
	var got []brief
	for _, e := range edges {
		got = append(got, brief{e.From, e.FromKind, e.FromMode, e.To, e.ToKind, e.ToMode, e.Goid, e.Shared, e.Gates})
		if len(e.ToStack) == 0 || !strings.HasSuffix(e.ToStack[0].File, "lockorder_test.go") {
			t.Errorf("acquire stack %+v", e.ToStack)
		}
	}
	// Sorted by from; a read hold is an RWMutex's; a gate keeps its address only.
	want := []brief{
		{"0x1000", "rwmutex", "read", "0x2000", "mutex", "write", 7, false, []string{"0x3000"}},
		{"0x2000", "mutex", "write", "0x1000", "rwmutex", "read", 8, true, []string{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("edges\n got %+v\nwant %+v", got, want)
	}
	if empty := decodeLockOrder(nil); empty == nil || len(empty) != 0 {
		t.Errorf("no table: %#v, want an empty list", empty)
	}
}
