// Package rootfile reads and writes ROOT files (TTrees) as float64 tables,
// through go-hep's pure-Go groot: no ROOT installation is needed.
//
// Reading: [Trees] lists the trees of a file; [Scan] streams one tree chunk
// by chunk, row-major float64 columns (see [Chunk]); [Inspect] resolves the
// same selection without reading events, and tells which branches the
// default selection skipped. A column is
//
//   - a flat numeric branch by name: bool (0 or 1), int8 to int64, uint8
//     to uint64, float32, float64, and ROOT's Float16_t and Double32_t;
//   - one element of a fixed-size array branch, by index: "ai4[1]", or
//     "m[1][2]" for a two-dimensional one (Float16_t and Double32_t arrays
//     take a single flat index);
//   - one element of a variable-length (jagged) branch, by index, such as
//     NanoAOD's Muon_pt[nMuon] read as "Muon_pt[0]", "Muon_pt[1]". An event
//     whose array is shorter than the index has no such value: it is NaN,
//     or the event is dropped with [Options.SkipMissing]. The NaN lets a
//     later selection such as nMuon>=2 keep the events that have the
//     element; the rows that are left with a NaN must be filtered before
//     the table is used (hepflow refuses NaN elsewhere).
//
// Strings, objects (the members of split classes, TLeafElement) and
// branches of several leaves are refused by name when asked for, and left
// out of the default selection ([Info.Skipped]).
//
// Writing: [Create] starts a tree of float64 branches, one per column
// (names made valid for ROOT by [BranchName]), compressed with zlib unless
// [WriteOptions] says otherwise; [Writer.Close] makes the file appear
// atomically, [Writer.Abort] leaves nothing behind.
//
// Errors name the file, the tree and the branch ([Error]). A damaged file
// is an error wrapping [ErrCorrupt], not a crash. That takes more than
// recovering groot's panics (which this package does): groot v0.40.0
// decompresses baskets in a goroutine of its own, where a panic cannot be
// recovered, and allocates the sizes it reads (string lengths, counts,
// array lengths) before checking them. So before groot reads a file, the
// file's header, top folder, key list and streamer record are checked
// against the file (header.go); before it reads a tree, the tree's record
// is checked, with its checksum when compressed (which groot skips); and
// before a scan, every basket it will read (vet.go) and every array length
// of its jagged columns (counts.go).
//
// Limits of that protection: a file crafted to attack groot, or damage to
// the parts of a file that are stored uncompressed and so carry no
// checksum (the tree's record and the streamer record of an uncompressed
// file, the streamer descriptions inside their record), can still make
// groot ask for gigabytes, which the Go runtime does not survive; and a
// crafted zstd basket of a fixed-size branch can still make groot's reader
// goroutine panic. The fix for both belongs in groot (bounds checks in
// rbytes, a recover in its basket reader).
//
// Reading costs one more pass over the count branches of jagged columns,
// and decompressing their baskets once more for the check of their entry
// offsets; flat columns cost a few small reads per basket.
package rootfile
