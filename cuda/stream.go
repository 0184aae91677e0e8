package cuda

import (
	"time"
)

// Stream is a queue of device work (CUstream). Work on one stream runs in order.
type Stream struct {
	d    *Device
	h    uintptr
	prec Precision // of the GEMMs and convolutions queued on it (SetPrecision)
}

// NewStream creates a stream that does not synchronise with the legacy default stream.
func (d *Device) NewStream() (*Stream, error) {
	s := &Stream{d: d}
	const nonBlocking = 1 // CU_STREAM_NON_BLOCKING
	err := d.do(func() error { return d.drv.check("cuStreamCreate", d.drv.cuStreamCreate(&s.h, nonBlocking)) })
	if err != nil {
		return nil, err
	}
	return s, nil
}

// DefaultStream returns the legacy default stream (handle 0), which needs no Close.
func (d *Device) DefaultStream() *Stream { return &Stream{d: d} }

// Handle returns the CUstream, for libraries that take one.
func (s *Stream) Handle() uintptr { return s.h }

// Synchronize waits for all work queued on s.
func (s *Stream) Synchronize() error {
	return s.d.do(func() error { return s.d.drv.check("cuStreamSynchronize", s.d.drv.cuStreamSynchronize(s.h)) })
}

// Wait makes later work on s wait for e.
func (s *Stream) Wait(e *Event) error {
	return s.d.do(func() error { return s.d.drv.check("cuStreamWaitEvent", s.d.drv.cuStreamWaitEvent(s.h, e.h, 0)) })
}

// Close destroys the stream after its work finishes. Closing the default stream does nothing.
func (s *Stream) Close() error {
	if s.h == 0 {
		return nil
	}
	err := s.d.do(func() error { return s.d.drv.check("cuStreamDestroy_v2", s.d.drv.cuStreamDestroy(s.h)) })
	s.h = 0
	return err
}

// Event marks a point in a stream (CUevent), to wait for or to time work.
type Event struct {
	d *Device
	h uintptr
}

// NewEvent creates an event that records timing.
func (d *Device) NewEvent() (*Event, error) {
	e := &Event{d: d}
	err := d.do(func() error { return d.drv.check("cuEventCreate", d.drv.cuEventCreate(&e.h, 0)) })
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Record marks the current end of s's queue.
func (e *Event) Record(s *Stream) error {
	return e.d.do(func() error { return e.d.drv.check("cuEventRecord", e.d.drv.cuEventRecord(e.h, s.h)) })
}

// Synchronize waits until the work before the recorded point is done.
func (e *Event) Synchronize() error {
	return e.d.do(func() error { return e.d.drv.check("cuEventSynchronize", e.d.drv.cuEventSynchronize(e.h)) })
}

// Since returns the device time between start and e, both recorded and completed.
func (e *Event) Since(start *Event) (time.Duration, error) {
	var ms float32
	err := e.d.do(func() error {
		return e.d.drv.check("cuEventElapsedTime", e.d.drv.cuEventElapsedTime(&ms, start.h, e.h))
	})
	return time.Duration(float64(ms) * float64(time.Millisecond)), err
}

// Close destroys the event.
func (e *Event) Close() error {
	if e.h == 0 {
		return nil
	}
	err := e.d.do(func() error { return e.d.drv.check("cuEventDestroy_v2", e.d.drv.cuEventDestroy(e.h)) })
	e.h = 0
	return err
}
