// Package bench is a load generator that drives a Filbert member through the
// official Hazelcast Go client, and optionally a Redis server through
// go-redis, with the same key space, value sizes and read/write mix, so the
// two can be compared on one machine.
//
// [Main] parses command-line flags (it is the body of `filbert bench`), and
// [Run] executes a configured benchmark and prints one result line per target
// per round, then per-target medians when there is more than one round.
//
// A run connects to each target, pre-fills every key, then for each round
// runs Options.Concurrency goroutines for Options.Warmup (not measured) and
// Options.Duration (measured). Each goroutine records latencies in its own
// [Histogram], so the hot loop takes no locks and allocates nothing of its
// own (the client libraries may). When a process id is given, the process's
// CPU time (utime+stime from /proc/PID/stat) is read at both ends of the
// measured window and reported per operation.
//
// All traffic goes to the configured addresses, which should be loopback
// addresses on a shared machine.
package bench
