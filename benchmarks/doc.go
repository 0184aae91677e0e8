// Package benchmarks holds samtrain's Go benchmarks; results and the
// commands that produced them are in README.md.
package benchmarks
