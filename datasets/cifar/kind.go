package cifar

import (
	"fmt"
	"strings"
)

// Image geometry shared by CIFAR-10 and CIFAR-100.
const (
	Channels   = 3                         // red, green, blue planes
	Height     = 32                        // rows per plane
	Width      = 32                        // columns per plane
	ImageBytes = Channels * Height * Width // 3,072 pixel bytes per record
)

// Kind names one of the two data sets. The zero Kind is invalid.
type Kind int

// The data sets.
const (
	CIFAR10  Kind = iota + 1 // 10 classes, records of 1 label byte + 3,072 pixels
	CIFAR100                 // 100 fine (20 coarse) classes, records of 2 label bytes + 3,072 pixels
)

// ParseKind returns the Kind named "cifar10" or "cifar100" (case-insensitive,
// "cifar-10" and "cifar-100" are accepted too).
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.ReplaceAll(s, "-", "")) {
	case "cifar10":
		return CIFAR10, nil
	case "cifar100":
		return CIFAR100, nil
	}
	return 0, fmt.Errorf("cifar: unknown data set %q (want cifar10 or cifar100)", s)
}

// String returns "cifar10" or "cifar100".
func (k Kind) String() string {
	switch k {
	case CIFAR10:
		return "cifar10"
	case CIFAR100:
		return "cifar100"
	}
	return fmt.Sprintf("cifar.Kind(%d)", int(k))
}

func (k Kind) valid() error {
	if k != CIFAR10 && k != CIFAR100 {
		return fmt.Errorf("cifar: invalid data set %v (want CIFAR10 or CIFAR100)", k)
	}
	return nil
}

// Classes returns the number of classes the labels range over: 10 or 100
// (fine labels).
func (k Kind) Classes() int {
	if k == CIFAR100 {
		return 100
	}
	return 10
}

// Folder returns the name of the folder the official archive extracts to.
func (k Kind) Folder() string {
	if k == CIFAR100 {
		return "cifar-100-binary"
	}
	return "cifar-10-batches-bin"
}

// ArchiveName returns the file name of the official binary archive.
func (k Kind) ArchiveName() string {
	if k == CIFAR100 {
		return "cifar-100-binary.tar.gz"
	}
	return "cifar-10-binary.tar.gz"
}

// ArchiveMD5 returns the MD5 sum of the official archive as published on
// https://www.cs.toronto.edu/~kriz/cifar.html.
func (k Kind) ArchiveMD5() string {
	if k == CIFAR100 {
		return "03b5dce01913d631647c71ecec9e9cb8"
	}
	return "c32a1d4ab5d03f1284b67883e8d87530"
}

// ClassNames returns the (fine) class names in label order, as in the
// official batches.meta.txt and fine_label_names.txt.
func (k Kind) ClassNames() []string {
	if k == CIFAR100 {
		return append([]string(nil), cifar100Names...)
	}
	return append([]string(nil), cifar10Names...)
}

// TrainFiles returns the names of the training batch files, in order.
func (k Kind) TrainFiles() []string {
	if k == CIFAR100 {
		return []string{"train.bin"}
	}
	return []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
}

// TestFile returns the name of the test batch file.
func (k Kind) TestFile() string {
	if k == CIFAR100 {
		return "test.bin"
	}
	return "test_batch.bin"
}

// labelBytes is the number of label bytes that precede the pixels of a record.
func (k Kind) labelBytes() int {
	if k == CIFAR100 {
		return 2
	}
	return 1
}

// RecordSize returns the size of one record in bytes: 3,073 or 3,074.
func (k Kind) RecordSize() int { return k.labelBytes() + ImageBytes }

func (k Kind) other() Kind {
	if k == CIFAR100 {
		return CIFAR10
	}
	return CIFAR100
}

var cifar10Names = []string{
	"airplane", "automobile", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck",
}

var cifar100Names = []string{
	"apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
	"bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
	"chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
	"dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
	"lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
	"mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
	"plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
	"rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
	"squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
	"train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
}
