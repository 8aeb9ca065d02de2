package hotrestart

import "fmt"

// PutAsync queues recs for durable writing, whatever Options.Fsync says,
// and returns at once (unless a stripe's queue is full) with a function
// that waits until they are on disk. Records are queued in the order given
// and, per partition, after every record queued before, so a caller that
// serialises its writes per partition keeps their order without waiting.
// This is how a per-map fsync setting is honoured on a store opened without
// Fsync.
func (s *Store) PutAsync(recs []Record) func() error {
	var waits []*batch
	for i := range recs {
		n, err := recs[i].encodedSize()
		if err != nil {
			err = fmt.Errorf("record %d: %w", i, err)
			return func() error { return err }
		}
		b, err := s.stripeFor(recs[i].Partition).enqueue(&recs[i], n, s.intern(recs[i].Store), true)
		if err != nil {
			return func() error { return err }
		}
		if len(waits) == 0 || waits[len(waits)-1] != b {
			waits = append(waits, b)
		}
	}
	return func() error {
		for _, b := range waits {
			if err := b.wait(); err != nil {
				return err
			}
		}
		return nil
	}
}
