// Package train runs samtrain's training workflow: it adapts a graph.Model
// and a batch to the optimizers of package optim.
//
// Error policy: everything that can fail returns an error wrapped with
// "train: " context; nothing panics on bad input.
package train
