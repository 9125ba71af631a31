// Package data reads and writes tables of events: CSV (plain or gzip'd, with
// or without a header, including the UCI HIGGS layout), Parquet and NumPy
// .npy files. It knows nothing of models.
//
// A [Table] is a float64 matrix in row-major order with named columns. [Read]
// loads a whole file into one; [Scan] streams it chunk by chunk, so a file
// larger than memory can still be filtered or summarised. Both choose the
// reader from the file's extension unless [ReadOptions.Format] says otherwise:
//
//	.csv .tsv .csv.gz .tsv.gz   text; gzip is recognised by its magic bytes
//	.parquet .pq                flat schemas of numeric columns
//	.npy                        1-D or 2-D, little-endian floats or integers
//
// Text is read in a pipeline: one goroutine decompresses and cuts the stream
// into chunks of whole lines, the others parse chunks in parallel, and the
// chunks are delivered in file order. Memory stays bounded by a few chunks
// per core whatever the file size, and line numbers in errors stay exact.
//
// Reading is strict: a value that is not a finite number is an error that
// names the file, the line (or, for binary formats, the row) and the column,
// by number and, when the file or the layout names it, by name:
//
//	read x.csv: line 3, column 2 ("b"): "x" is not a number
//
// Hostile input is refused early: every size a binary file claims is
// checked against the file before anything is allocated for it (or read
// incrementally from a stream of unknown size), and text has [Limits] on
// line length, field length and column count. Column names are kept byte
// for byte and must be valid UTF-8, since models, Parquet schemas and
// reports store them as UTF-8; a header that is not is an error naming the
// line, column and byte offset. Messages quote at most 80 characters of a
// file's text, followed by its length.
//
// Columns can be removed before parsing ([ReadOptions.Drop],
// [ReadOptions.Columns], [ReadOptions.DropNonNumeric]), which is how a text
// column such as an identifier is skipped, and rows can be selected while
// streaming with an expression ([ReadOptions.Where], see [ParseExpr]). The
// expression may refer to a column that is dropped, so
// Where: "label==0", Drop: []string{"label"} keeps the background events of a
// HIGGS file without their label.
//
// Writers ([Write], [Create]) produce the same formats. CSV holds the
// shortest text that reads back to the same float64; .csv.gz files are a
// sequence of gzip members compressed in parallel, which gunzip, Python and
// pandas read as one stream; Parquet files have one required DOUBLE column
// per table column, in order, Snappy-compressed. Every write is atomic: the
// data goes to a temporary file in the destination's directory, which is
// synced and renamed over the destination only when complete, so a failed or
// interrupted write never leaves a partial file. [CheckOutput] refuses an
// output path that is also an input. NaN and infinite values are refused on
// writing as on reading.
//
// Column names cannot be stored in a .npy file (numpy rejects extra header
// keys). The .npy writer therefore also writes a sidecar "<file>.npy.columns"
// (one name per line), and the .npy reader uses it when present and its
// count matches; without one, columns are named col0, col1, ... unless
// [ReadOptions.Names] says otherwise.
package data
