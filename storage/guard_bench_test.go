package storage

import "testing"

// BenchmarkGuardAllow is the guard's check on every storage call of a
// request (Threads.Get with a threads:read scope).
func BenchmarkGuardAllow(b *testing.B) {
	sc := Authorized(Event{Resource: "threads", Action: "read"})
	b.ReportAllocs()
	for b.Loop() {
		if err := allow(sc, "Threads.Get"); err != nil {
			b.Fatal(err)
		}
	}
}
