// Package hotrestart is Filbert's persistent store for map partitions: a
// log-structured, append-only store in the manner of Hazelcast's Hot Restart
// Store, with garbage collection, crash recovery and hard-link hot backups.
//
// A [Store] owns one directory (Options.Dir, one per member). It is split
// into Options.Parallelism stripes; a record goes to stripe
// partition % parallelism, so all records of one partition, and therefore of
// one key, live in one stripe and keep their order. Each stripe has one
// writer goroutine that appends to the stripe's active chunk file; a chunk is
// sealed (fsynced and never written again) when it reaches Options.ChunkSize,
// and a new one is started. Because sealed chunks never change, a hot backup
// can hard-link them.
//
// # Directory layout
//
//	<Dir>/lock                       flock(2)ed while a Store is open; holds the owner's pid
//	<Dir>/hotrestart.json            {"format":1,"parallelism":N}; written once, checked on Open
//	<Dir>/stripe-00/0000000001.chunk chunk files of stripe 0, ids increasing from 1
//	<Dir>/stripe-00/0000000002.chunk
//	<Dir>/stripe-01/...
//
// File names are built and parsed only in filenames.go. A chunk id is a
// uint32 written as ten decimal digits. A directory must be reopened with the
// parallelism it was created with (as in Hazelcast).
//
// A hot backup directory has the same layout (without lock) plus
//
//	<dst>/backup.json   {"format":1,"parallelism":N,"cutSequence":S,"chunks":C,"createdUnixMs":T}
//	<dst>/inprogress    present while the backup runs (removed on success)
//	<dst>/failure       the inprogress file renamed, holding the error text, after a failure or interrupt
//
// so a Store opened on a finished backup loads exactly the snapshot.
//
// # Record format (disk format version 1)
//
// A chunk file is a plain sequence of records with no file header. All
// integers are little-endian.
//
//	offset  size  field
//	0       4     length     uint32: the whole record in bytes, this field and the checksum included
//	4       1     magic      0xF1 (record, format 1)
//	5       1     flags      bit 0: tombstone; other bits must be zero
//	6       2     storeLen   uint16: length of the store (map) name
//	8       4     partition  int32, >= 0
//	12      4     keyLen     uint32
//	16      8     sequence   uint64, unique and increasing per Store (see below)
//	24      8     expireAt   int64: absolute expiration deadline, Unix ms, 0 = none
//	32      8     ttl        int64 ms, opaque to this package
//	40      8     maxIdle    int64 ms, opaque to this package
//	48      S     store name (storeLen bytes)
//	48+S    K     key (keyLen bytes)
//	48+S+K  V     value, V = length - 56 - S - K; must be 0 for a tombstone
//	len-8   8     checksum   uint64: xxhash64 of bytes [0, length-8) of this record
//
// The checksum covers every other byte of the record, the length included.
// The smallest record is 56 bytes; the largest is [MaxRecordSize]. A record
// whose length field points past the end of the file is incomplete (torn).
// These constants are disk format: changing any of them needs a new magic.
//
// Sequence numbers are assigned by the stripe writers from one counter per
// Store at the moment a record is appended, so the order of two records of
// one key in its stripe is also their sequence order. Garbage collection
// copies records byte for byte, sequence and checksum included. On Open the
// counter resumes after the largest sequence on disk.
//
// # Writing
//
// Put, Delete and PutBatch encode the record into the stripe's pending batch
// (copying key and value, so callers may reuse their buffers) and wake the
// writer. The writer takes the whole batch, stamps sequences and checksums,
// updates the in-memory index, and appends it with one write(2).
//
//   - Fsync off (default): the call returns as soon as the record is queued.
//     The writer waits up to Options.FlushInterval to gather a batch (less
//     when 1 MiB is pending), so writes reach the OS in batches; Sync and
//     Close make everything durable. A write error makes the Store failed:
//     every later call returns it.
//   - Fsync on: the call returns after the batch holding its record was
//     written and fdatasync(2)ed. While the writer syncs one batch, callers
//     fill the next one, so N concurrent callers share one write and one
//     fdatasync (group commit).
//
// A stripe's queue holds at most Options.MaxPendingBytes; when it is full,
// callers wait for the writer (the only case in which a call with fsync off
// waits for the disk).
//
// Sealing is synchronous: a chunk is fdatasynced before the next one gets a
// byte, so after a power failure only the last chunk of a stripe can end in
// a torn record. To keep that fdatasync short the writer asks the kernel
// (sync_file_range) to start writing back every MiB it appends.
//
// # Index, live and dead bytes, tombstones
//
// The Store keeps one in-memory index entry per (store, partition, key) with
// the location, size and sequence of its latest record and the number of
// value records (not tombstones) of that key on disk. A record is dead once
// a newer record of its key exists; a chunk's garbage is the sum of its dead
// records. A tombstone is live while any older value of its key is still on
// disk, and becomes garbage when the chunk holding the last one is deleted,
// so a deleted value can never come back after a restart or in a backup.
// (Older tombstones need no protection.)
//
// # Garbage collection
//
// GC (and a background pass every Options.GCInterval) collects sealed
// chunks whose garbage ratio is at least Options.GCGarbageRatio, most garbage
// first: it reads the chunk, has the stripe writer append the chunk's live
// records to the active chunk and fdatasync it, then deletes the file and
// syncs the directory, and only then updates the copy counts (which may turn
// tombstones into garbage). Chunks pinned by a running backup, and chunks in
// which recovery found corruption, are never collected.
//
// # Recovery and loading
//
// Open reads every chunk, one goroutine per stripe, to rebuild the index (the
// latest sequence per key wins, ties are duplicates left by an interrupted
// GC). Damage is handled as follows:
//
//   - A torn or checksum-failing record in the last chunk of a stripe, with
//     no valid record after it, is a torn tail: the chunk is truncated there
//     with a warning, reported in LoadStats.Truncated.
//   - Any other damage fails Open with a *CorruptionError naming the file and
//     byte offset. With Options.AllowPartial the rest of that chunk is
//     skipped instead, reported in LoadStats.Skipped, and loading continues.
//
// Writing never appends to a chunk that existed before Open: the first write
// starts a new chunk.
//
// [Store.Load] then delivers only the live, non-tombstone record of each key
// (memory is bounded by the index, not by the history), reading the chunks
// again, one goroutine per stripe; the callback runs concurrently on those
// goroutines. Progress is reported through a callback and logged.
//
// # Hot backup
//
// [Store.Backup] pauses all stripe writers at once, seals their active
// chunks and pins the set of sealed chunks, so the snapshot holds exactly the
// records whose sequence is below the cut (writes resume as soon as the pins
// are taken). A background job then hard-links each chunk into the backup
// directory (copying when linking fails, for example across file systems),
// releasing each pin as it goes. Status reports NOT_STARTED, IN_PROGRESS,
// FAILURE or SUCCESS with completed and total chunk counts; Interrupt stops
// the job and leaves its files with a failure marker.
package hotrestart
