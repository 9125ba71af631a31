package model

import "math/rand/v2"

// NoiseBlock is how many consecutive events share one noise stream.
const NoiseBlock = 1 << 16

// NoiseRand is the random stream of the dequantization noise with which
// `hepflow logprob --seed S` (and the service's logprob) scores events
// [block*NoiseBlock, (block+1)*NoiseBlock) of a file, in order: the same
// seed gives the same densities everywhere, and any shard of a file can be
// scored without drawing the noise of the events before it.
func NoiseRand(seed uint64, block int64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0xde+uint64(block)<<32))
}
