package model

import "math/rand/v2"

// NoiseRand is the random stream of the dequantization noise with which
// `hepflow logprob --seed S` (and the service's logprob) scores events:
// the same seed gives the same densities everywhere.
func NoiseRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0xde)) }
