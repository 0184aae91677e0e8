// Package train runs samtrain's training workflow on CIFAR-10/100: the
// paper's recipe as a Spec (Defaults), a Run that trains a nets/resnet model
// with optim.SAM around optim.SGD, evaluates it every epoch and writes
// metrics.jsonl, config.json and checkpoint.safetensors into its output
// folder, and the tools of the paper's experiments around it: Evaluate,
// LoadWeights and --finetune-from, Interpolation with RecomputeBN (the
// linear-connectivity plot), PlotRuns and PlotInterpolation (PNG figures),
// and Export (weights with PyTorch state_dict names).
//
// One job per file: spec.go (the settings), data.go (the data view),
// objective.go (model and batch as an optim.GradFunc), device.go (what a
// run needs of its backend), run.go (the loop), checkpoint.go, metrics.go,
// progress.go, evaluate.go, interpolate.go, plot.go.
//
// # Reproducibility
//
// Everything random is drawn from Spec.Seed: initialisation, validation
// split, label noise, data order and augmentation (per epoch and batch, see
// cifar.Loader), and SAM's random control (its generator is checkpointed).
// A checkpoint holds the exact position (epoch, batch) and the partial
// sums of the epoch, so a resumed run ends with the same bytes as an
// uninterrupted one on the same backend and thread count.
//
// # Devices
//
// A Run trains on any graph.Backend[float32] with a Vectors method (see
// Vectors): graph/cpu or cuda.Backend. The optimizer is
// optim.SAM[graph.Buffer] around optim.SGD[graph.Buffer] with the backend's
// Vectors, stepping the model's own weight Buffer (Params().Weights()) in
// place; gradients (Objective.GradBuffers, graph.Model.GradBuffers), SAM's
// buffers and the momentum are Buffers of the same backend. On a device
// nothing weight-sized crosses to the host during training: checkpoints
// download the weights, BatchNorm statistics and momentum, resuming uploads
// them. On graph/cpu the Buffers are the host slices the optimizer stepped
// before (optim.SAM[[]float32] on Model.Weights()), with the same kernels,
// so results are the same bit for bit. A backend with an Err() error
// method (one that records failed device calls) is checked after every pass
// and evaluation batch, and before a checkpoint is written.
//
// # Errors
//
// Everything that can fail returns an error wrapped with "train: " context;
// nothing panics on bad input. Sentinels for errors.Is: ErrSpec (an
// impossible setting, naming the field), ErrCheckpoint (a file that is not
// a usable checkpoint), ErrInterrupted (the context was cancelled; a
// checkpoint was saved), ErrDiverged (NaN or infinite loss or gradient;
// the last epoch's checkpoint is left as it was) and ErrExists (the output
// folder holds another run). Files are written atomically (temporary file,
// fsync, rename); metrics.jsonl is appended and synced once per epoch and
// cut back to the checkpoint's epochs on resume.
package train
