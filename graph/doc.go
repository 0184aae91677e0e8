// Package graph builds neural networks as gorgonia expression graphs on samtrain's own ops.
package graph
