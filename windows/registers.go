package windows

import "math/bits"

// HLLRegisters is the number of registers of a customer sketch, for a
// remote store that keeps sketches server-side.
const HLLRegisters = hllM

// HLLRegister returns the register a customer hash updates and the rank it
// offers (the register keeps the largest rank). A remote store that builds
// sketches on the server computes them here, so its sketches are the very
// registers a MemStore would hold.
func HLLRegister(h uint64) (idx int, rank uint8) {
	w := h<<hllP | 1<<(hllP-1)
	return int(h >> (64 - hllP)), uint8(bits.LeadingZeros64(w) + 1)
}

// MergeRegisters merges a sketch given as its registers (at most
// HLLRegisters bytes; missing trailing registers are 0) into c, which
// becomes an estimate.
func (c *Customers) MergeRegisters(regs []byte) {
	if c.hll == nil {
		c.toSketch()
	}
	for i, r := range regs[:min(len(regs), hllM)] {
		if r > c.hll[i] {
			c.hll[i] = r
		}
	}
}
