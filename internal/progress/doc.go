// Package progress reports how far a long task (a download, an epoch of
// training) has come, on a terminal or in a log.
//
// A Meter owns the mechanics shared by every report: on a terminal one line
// redrawn in place ("\r" ... "\x1b[K") at most every Redraw, with a bar, the
// percentage and the time left; elsewhere one plain line per 10 percent
// (per Step units when the total is unknown), fit for a log file. The
// caller supplies only its own words: a Label and a Detail function that
// writes the units, rate or loss.
//
// A line reads
//
//	label [=========                     ]  30% detail, ETA 7s   (terminal)
//	label:  30% detail, ETA 7s                                   (plain)
//	label: detail                                                (unknown total)
//
// and its last form ends in "done in" and the time taken instead of the ETA.
//
// Error policy: a Meter never fails. Write errors on its writer are
// ignored, because a report that cannot be shown must not stop the work it
// reports on; a nil writer reports nothing. Counts beyond the total are
// drawn as a full bar.
package progress
