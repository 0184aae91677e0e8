package train

// tinySpec is a run that takes well under a second an epoch: PreAct
// ResNet-18 of width 2, batches of 8.
func tinySpec() Spec {
	s := Defaults()
	s.Model, s.Width, s.Epochs, s.BatchSize = "preact-resnet18", 2, 3, 8
	return s
}
