package bot

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// TestUnsignedFloodMemory holds 1,000 connections to /slack/events with
// valid-looking headers and a fake signature, each promising a body of
// defaultMaxBody and sending it 16 KiB at a time, and measures what the process's heap
// grows by (the clients are in the same process and counted too). Before
// the bound on unverified reads, every connection's body was read: issue 17
// measured 0.6 → 2.2 GB with 1,000 such connections. The assertion is on
// memory, never on time.
func TestUnsignedFloodMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1,000 connections")
	}
	const (
		conns  = 1000
		chunk  = 16 << 10
		rounds = int(defaultMaxBody/chunk) - 1 // then the whole body promised has been sent
		limit  = 50 << 20
	)
	now := time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC)
	h := NewHandler(nil, nil, nil, HandlerOptions{SigningSecret: testSecret, Now: func() time.Time { return now }, Logger: discardLogger()})
	arrived, release := make(chan struct{}, conns), make(chan struct{})
	h.verify.read = func() { arrived <- struct{}{}; <-release }
	mux := http.NewServeMux()
	h.Register(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The settings internal/app serves with.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	ts := strconv.FormatInt(now.Unix(), 10)
	head := rawRequest("/slack/events", ts, fakeSignature, int(defaultMaxBody), "")
	body := bytes.Repeat([]byte("a"), chunk)
	type answer struct{ conn, code int }
	answers := make(chan answer, conns)
	clients := make([]net.Conn, 0, conns)
	t.Cleanup(func() {
		for _, c := range clients {
			c.Close()
		}
	})
	for i := range conns {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
		clients = append(clients, c)
		if _, err := io.WriteString(c, head); err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write(body)
		go func() {
			resp, err := http.ReadResponse(bufio.NewReaderSize(c, 64), nil)
			if err != nil {
				answers <- answer{i, 0}
				return
			}
			resp.Body.Close()
			answers <- answer{i, resp.StatusCode}
		}()
	}
	// Every connection beyond the bound is answered 503 without its body;
	// the guard timer only keeps a broken server from hanging the test.
	guard := time.NewTimer(2 * time.Minute)
	defer guard.Stop()
	answered := map[int]bool{}
	for i := range conns - defaultMaxUnverified {
		select {
		case a := <-answers:
			if a.code != http.StatusServiceUnavailable {
				t.Fatalf("answer %d: %d, want 503 (all %d read slots are taken)", i+1, a.code, defaultMaxUnverified)
			}
			answered[a.conn] = true
		case <-guard.C:
			t.Fatalf("only %d of %d connections were answered 503", i, conns-defaultMaxUnverified)
		}
	}
	if got := len(h.verify.slots); got != defaultMaxUnverified {
		t.Fatalf("bodies being read = %d, want %d", got, defaultMaxUnverified)
	}
	// The held ones keep sending, 16 KiB at a time, up to the whole body
	// promised: the most an unsigned body can make the server keep. The
	// memory is measured while every one of them is read and held, before
	// its signature is checked.
	for range rounds {
		for i, c := range clients {
			if !answered[i] {
				if _, err := c.Write(body); err != nil {
					t.Fatalf("held connection %d: %v", i, err)
				}
			}
		}
	}
	for i := range defaultMaxUnverified {
		select {
		case <-arrived:
		case <-guard.C:
			t.Fatalf("only %d of %d held bodies arrived", i, defaultMaxUnverified)
		}
	}
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	runtime.GC()
	var live runtime.MemStats
	runtime.ReadMemStats(&live)
	close(release)
	for i := range defaultMaxUnverified {
		select {
		case a := <-answers:
			if a.code != http.StatusUnauthorized || answered[a.conn] {
				t.Fatalf("held connection %d: %d, want 401 once its whole body is read", a.conn, a.code)
			}
		case <-guard.C:
			t.Fatalf("only %d of the %d held connections were answered", i, defaultMaxUnverified)
		}
	}
	grown := func(after, before uint64) int64 { return int64(after) - int64(before) }
	mb := func(n int64) float64 { return float64(n) / (1 << 20) }
	t.Logf("%d connections (%d bodies read whole and held, %d refused 503), %d KiB sent on each held one: heap %+.1f MB live after GC, %+.1f MB before GC, heap in use %+.1f MB, from the OS %+.1f MB",
		conns, defaultMaxUnverified, h.verify.busy.Load(), chunk*(rounds+1)>>10,
		mb(grown(live.HeapAlloc, before.HeapAlloc)), mb(grown(during.HeapAlloc, before.HeapAlloc)),
		mb(grown(during.HeapInuse, before.HeapInuse)), mb(grown(during.Sys, before.Sys)))
	if g := grown(live.HeapAlloc, before.HeapAlloc); g > limit {
		t.Errorf("the held connections keep %.1f MB of heap, want under %d MB", mb(g), limit>>20)
	}
	if g := grown(during.HeapAlloc, before.HeapAlloc); g > limit {
		t.Errorf("the heap grew by %.1f MB during the flood, want under %d MB", mb(g), limit>>20)
	}
}
