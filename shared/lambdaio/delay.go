package lambdaio

import (
	"context"
	"fmt"
	"sync"
	"time"
)

const (
	// delayMargin is kept back from the invocation's deadline when changing
	// visibilities, for encoding and returning the batch's answer: a late
	// answer would fail the whole batch, a missed delay only one record's
	// wait.
	delayMargin = 100 * time.Millisecond
	// delayParallel bounds the visibility changes in flight, so that a
	// large batch neither runs them one by one nor floods SQS.
	delayParallel = 8
)

// delay is a failed record that asked to wait before its next delivery.
type delay struct {
	id, handle string
	after      time.Duration
}

// postpone changes the visibility of each record in ds. A change that fails
// is logged and otherwise ignored: the record is still reported failed and
// comes back after the queue's visibility timeout instead.
func (b *batch) postpone(ctx context.Context, ds []delay) {
	if len(ds) == 0 {
		return
	}
	if b.vis == nil {
		b.log.WarnContext(ctx, "failed records asked to wait but the function cannot change visibilities; they come back after the queue's visibility timeout",
			"records", len(ds))
		return
	}
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-delayMargin))
		defer cancel()
	}
	sem := make(chan struct{}, delayParallel)
	var wg sync.WaitGroup
	for _, d := range ds {
		if d.handle == "" {
			b.log.WarnContext(ctx, "a failed record has no receipt handle; its visibility is left as it is", "message_id", d.id)
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := b.change(ctx, d); err != nil {
				b.log.WarnContext(ctx, "could not delay a failed record; it comes back after the queue's visibility timeout",
					"message_id", d.id, "after_ms", d.after.Milliseconds(), "error", err.Error())
			}
		}()
	}
	wg.Wait()
}

// change calls the Visibility, turning a panic into an error: it runs on a
// goroutine of its own, where a panic would end the process and with it
// the batch's answer.
func (b *batch) change(ctx context.Context, d delay) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("lambdaio: changing the visibility panicked (%T)", p)
		}
	}()
	return b.vis.ChangeVisibility(ctx, d.handle, d.after)
}
