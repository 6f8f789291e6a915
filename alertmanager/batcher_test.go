package alertmanager

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func item(i int) InboxItem {
	return InboxItem{ID: fmt.Sprintf("%019d-test", i), Body: []byte(`{}`)}
}

// Concurrent submissions that arrive while a write is in progress are
// written together by the next AppendInbox.
func TestBatcherGroupsConcurrentSubmissions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inbox := newMemInbox()
		gate := make(chan struct{})
		inbox.gate = gate
		var stored atomic.Int32
		b, err := NewBatcher(inbox, BatcherOptions{OnStored: func() { stored.Add(1) }})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()

		errs := make(chan error, 51)
		go func() { errs <- b.Submit(t.Context(), item(0)) }()
		time.Sleep(10 * time.Millisecond) // virtual: the first window closes, AppendInbox waits on the gate
		synctest.Wait()
		for i := 1; i <= 50; i++ {
			go func() { errs <- b.Submit(t.Context(), item(i)) }()
		}
		synctest.Wait()
		close(gate)
		for range 51 {
			if err := <-errs; err != nil {
				t.Errorf("Submit: %v", err)
			}
		}
		if got, want := inbox.batchSizes(), []int{1, 50}; !slices.Equal(got, want) {
			t.Errorf("AppendInbox batch sizes %v, want %v", got, want)
		}
		if n := len(inbox.ids()); n != 51 {
			t.Errorf("stored %d, want 51", n)
		}
		if stored.Load() != 2 {
			t.Errorf("OnStored ran %d times, want 2", stored.Load())
		}
	})
}

func TestBatcherMaxItems(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inbox := newMemInbox()
		gate := make(chan struct{})
		inbox.gate = gate
		b, err := NewBatcher(inbox, BatcherOptions{MaxItems: 10})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		var wg sync.WaitGroup
		wg.Go(func() { _ = b.Submit(t.Context(), item(0)) })
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		for i := 1; i <= 25; i++ {
			wg.Go(func() { _ = b.Submit(t.Context(), item(i)) })
		}
		synctest.Wait()
		close(gate)
		wg.Wait()
		if got, want := inbox.batchSizes(), []int{1, 10, 10, 5}; !slices.Equal(got, want) {
			t.Errorf("batch sizes %v, want %v", got, want)
		}
	})
}

// Without concurrency every item waits at most one window.
func TestBatcherWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inbox := newMemInbox()
		b, err := NewBatcher(inbox, BatcherOptions{Window: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		start := time.Now()
		if err := b.Submit(t.Context(), item(1)); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 5*time.Millisecond {
			t.Errorf("stored after %v, want the 5ms window", d)
		}
		b2, err := NewBatcher(inbox, BatcherOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer b2.Close()
		start = time.Now()
		if err := b2.Submit(t.Context(), item(2)); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("no window (the default): stored after %v, want at once", d)
		}
	})
}

func TestBatcherError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inbox := newMemInbox()
		inbox.appendErr = errStoreDown
		called := false
		b, err := NewBatcher(inbox, BatcherOptions{Window: time.Millisecond, OnStored: func() { called = true }}) // one batch of three
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() {
				if err := b.Submit(t.Context(), item(i)); !errors.Is(err, errStoreDown) {
					t.Errorf("Submit error %v, want errStoreDown", err)
				}
			})
		}
		wg.Wait()
		if got := inbox.batchSizes(); !slices.Equal(got, []int{3}) {
			t.Errorf("batch sizes %v, want [3]", got)
		}
		if called {
			t.Error("OnStored ran after a failed append")
		}
	})
}

// A caller that gives up gets its context error at once; an item whose
// batch was not written yet is then left out (a window keeps the batch
// open long enough to see it).
func TestBatcherCancelledWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inbox := newMemInbox()
		gate := make(chan struct{})
		inbox.gate = gate
		b, err := NewBatcher(inbox, BatcherOptions{Window: 2 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()

		errA := make(chan error, 1)
		go func() { errA <- b.Submit(t.Context(), item(1)) }()
		time.Sleep(10 * time.Millisecond)
		synctest.Wait() // item 1 is being written

		ctxA, cancelA := context.WithCancel(t.Context())
		errB := make(chan error, 1)
		go func() { errB <- b.Submit(ctxA, item(2)) }()
		synctest.Wait() // item 2 waits for the writer
		cancelA()
		if err := <-errB; !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Submit = %v, want context.Canceled", err)
		}

		// Item 3 is handed over, then its caller leaves before the write.
		ctxC, cancelC := context.WithCancel(t.Context())
		errC := make(chan error, 1)
		go func() { errC <- b.Submit(ctxC, item(3)) }()
		close(gate)
		synctest.Wait() // the writer took item 3 and waits out the window
		cancelC()
		if err := <-errC; !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Submit = %v, want context.Canceled", err)
		}
		if err := <-errA; err != nil {
			t.Errorf("Submit 1: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		if got, want := inbox.ids(), []string{item(1).ID}; !slices.Equal(got, want) {
			t.Errorf("stored %v, want only %v", got, want)
		}
	})
}

func TestBatcherCloseDrains(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inbox := newMemInbox()
		gate := make(chan struct{})
		inbox.gate = gate
		b, err := NewBatcher(inbox, BatcherOptions{})
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		go func() { errs <- b.Submit(t.Context(), item(1)) }()
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		go func() { errs <- b.Submit(t.Context(), item(2)) }()
		synctest.Wait()
		closed := make(chan struct{})
		go func() { b.Close(); close(closed) }()
		synctest.Wait()
		select {
		case <-closed:
			t.Fatal("Close returned while a write was in progress")
		default:
		}
		close(gate)
		<-closed
		for range 2 {
			if err := <-errs; err != nil {
				t.Errorf("Submit: %v", err)
			}
		}
		if n := len(inbox.ids()); n != 2 {
			t.Errorf("stored %d, want 2", n)
		}
		if err := b.Submit(t.Context(), item(3)); !errors.Is(err, ErrClosed) {
			t.Errorf("Submit after Close = %v, want ErrClosed", err)
		}
		b.Close() // twice is fine
	})
}

// Real goroutines and the real clock, for the race detector.
func TestBatcherRace(t *testing.T) {
	inbox := newMemInbox()
	var kicks atomic.Int32
	b, err := NewBatcher(inbox, BatcherOptions{OnStored: func() { kicks.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 500 {
		wg.Go(func() {
			if err := b.Submit(t.Context(), item(i)); err != nil {
				t.Errorf("Submit: %v", err)
			}
		})
	}
	wg.Wait()
	b.Close()
	if n := len(inbox.ids()); n != 500 {
		t.Errorf("stored %d, want 500", n)
	}
	total := 0
	for _, n := range inbox.batchSizes() {
		if n > 256 {
			t.Errorf("batch of %d exceeds 256", n)
		}
		total += n
	}
	if total != 500 || int(kicks.Load()) != len(inbox.batchSizes()) {
		t.Errorf("total %d in %d batches, %d kicks", total, len(inbox.batchSizes()), kicks.Load())
	}
	t.Logf("500 concurrent submissions in %d AppendInbox calls", len(inbox.batchSizes()))
}

// While a write fails slowly (the store is locked), the requests that
// queue up behind it fail with it at once rather than each waiting out a
// store timeout of its own; a request that comes after tries the store again.
func TestBatcherFailsFastAfterAFailedWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inbox := newMemInbox()
		gate := make(chan struct{})
		inbox.gate = gate
		inbox.appendErr = errStoreDown
		b, err := NewBatcher(inbox, BatcherOptions{StoreTimeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		errs := make(chan error, 4)
		go func() { errs <- b.Submit(t.Context(), item(0)) }()
		time.Sleep(10 * time.Millisecond) // the first write waits on the gate
		synctest.Wait()
		for i := 1; i <= 3; i++ {
			go func() { errs <- b.Submit(t.Context(), item(i)) }()
		}
		synctest.Wait()
		start := time.Now()
		close(gate)
		for range 4 {
			if err := <-errs; !errors.Is(err, errStoreDown) {
				t.Errorf("Submit = %v, want the store's error", err)
			}
		}
		if d := time.Since(start); d > 10*time.Millisecond {
			t.Errorf("the queued requests waited %v after the failed write", d)
		}
		if got := inbox.batchSizes(); !slices.Equal(got, []int{1}) {
			t.Errorf("AppendInbox calls %v, want one: the queued requests fail with it", got)
		}
		time.Sleep(time.Second)
		inbox.mu.Lock()
		inbox.appendErr = nil
		inbox.mu.Unlock()
		if err := b.Submit(t.Context(), item(9)); err != nil {
			t.Errorf("Submit after the store came back: %v", err)
		}
		if got := inbox.batchSizes(); !slices.Equal(got, []int{1, 1}) {
			t.Errorf("AppendInbox calls %v, want the later request to try the store", got)
		}
	})
}
