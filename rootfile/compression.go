package rootfile

import (
	"fmt"
	"strings"

	"go-hep.org/x/hep/groot/riofs"
	"go-hep.org/x/hep/groot/rtree"
)

// Compression is a ROOT compression algorithm.
type Compression string

// The algorithms [Create] can write (and [Scan] reads).
const (
	None Compression = "none"
	Zlib Compression = "zlib"
	LZMA Compression = "lzma"
	LZ4  Compression = "lz4"
	Zstd Compression = "zstd"
)

// ParseCompression converts a user's name ("none", "zlib", "lzma", "lz4",
// "zstd"; case-insensitive; "" means zlib) to a Compression.
func ParseCompression(s string) (Compression, error) {
	switch c := Compression(strings.ToLower(s)); c {
	case "":
		return Zlib, nil
	case None, Zlib, LZMA, LZ4, Zstd:
		return c, nil
	case "uncompressed":
		return None, nil
	}
	return "", fmt.Errorf("unknown compression %q (known: none, zlib, lzma, lz4, zstd)", s)
}

// options returns groot's file and tree options for c at level.
func (c Compression) options(level int) (riofs.FileOption, rtree.WriteOption, error) {
	c, err := ParseCompression(string(c))
	if err != nil {
		return nil, nil, err
	}
	most := 9
	if c == Zstd {
		most = 4 // klauspost/compress's levels: fastest, default, better, best
	}
	if c == None {
		most = 0
	}
	if level < 0 || level > most {
		if c == None {
			return nil, nil, fmt.Errorf("compression level %d without compression", level)
		}
		return nil, nil, fmt.Errorf("%s compression level %d out of range (1 to %d, or 0 for 1)", c, level, most)
	}
	level = max(level, 1)
	switch c {
	case None:
		return riofs.WithoutCompression(), rtree.WithoutCompression(), nil
	case LZMA:
		return riofs.WithLZMA(level), rtree.WithLZMA(level), nil
	case LZ4:
		return riofs.WithLZ4(level), rtree.WithLZ4(level), nil
	case Zstd:
		return riofs.WithZstd(level), rtree.WithZstd(level), nil
	}
	return riofs.WithZlib(level), rtree.WithZlib(level), nil
}
