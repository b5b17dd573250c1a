package events

import "strconv"

// decimal is an exact decimal read from JSON text: coef × 10^-scale, with
// trailing fractional zeros dropped so scale is as small as possible.
type decimal struct {
	coef    uint64
	scale   int
	neg     bool
	present bool
	err     *ValidationError
}

const maxCoef = (1<<63 - 1) / 10

// UnmarshalJSON accepts a JSON string ("129.90") or number (129.9). A bad
// amount is recorded rather than returned, so the decoder can report it with
// its own reason code instead of a generic JSON error.
func (d *decimal) UnmarshalJSON(b []byte) error {
	d.unmarshal(string(b))
	return nil
}

// unmarshal is UnmarshalJSON on the raw JSON text of the value.
func (d *decimal) unmarshal(b string) {
	*d = decimal{present: true}
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = b[1 : len(b)-1]
	} else if b == "null" {
		d.present = false
		return
	}
	d.parse(b)
}

func (d *decimal) parse(b string) {
	if len(b) == 0 {
		d.err = &ValidationError{Reason: ReasonInvalidAmount, Detail: "empty amount"}
		return
	}
	t := b // b without its signs (strings.TrimLeft builds a set per call)
	for len(t) > 0 && (t[0] == '+' || t[0] == '-') {
		t = t[1:]
	}
	switch t {
	case "NaN", "nan", "Inf", "inf", "Infinity", "infinity":
		d.err = &ValidationError{Reason: ReasonInvalidAmount, Detail: "amount is not finite"}
		return
	}
	i := 0
	if b[0] == '-' {
		d.neg = true
		i++
	}
	digits, pendingZeros, fraction := 0, 0, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if fraction && c == '0' {
				pendingZeros++ // only significant if a non-zero digit follows
				continue
			}
			for range pendingZeros + 1 {
				if d.coef > maxCoef {
					d.err = &ValidationError{Reason: ReasonAmountOverCap, Detail: "amount has too many digits"}
					return
				}
				d.coef *= 10
			}
			if fraction {
				d.scale += pendingZeros + 1
			}
			pendingZeros = 0
			d.coef += uint64(c - '0')
		case c == '.' && !fraction:
			fraction = true
		case c == 'e' || c == 'E':
			if digits == 0 {
				d.err = &ValidationError{Reason: ReasonInvalidAmount, Detail: "amount is not a decimal number"}
				return
			}
			exp, err := strconv.Atoi(b[i+1:])
			if err != nil || exp < -400 || exp > 400 {
				d.err = &ValidationError{Reason: ReasonInvalidAmount, Detail: "amount has a bad exponent"}
				return
			}
			d.scale -= exp
			if d.coef == 0 {
				d.scale = 0
			}
			return
		default:
			d.err = &ValidationError{Reason: ReasonInvalidAmount, Detail: "amount is not a decimal number"}
			return
		}
	}
	if digits == 0 {
		d.err = &ValidationError{Reason: ReasonInvalidAmount, Detail: "amount is not a decimal number"}
	}
}

// minor converts d to integer minor units with the given number of digits,
// exactly or not at all.
func (d *decimal) minor(digits int, field string) (int64, *ValidationError) {
	if d.err != nil {
		e := *d.err
		e.Field = field
		return 0, &e
	}
	if d.neg && d.coef != 0 {
		return 0, invalid(ReasonNegativeAmount, field, "amount must not be negative")
	}
	if d.scale > digits {
		return 0, invalid(ReasonInvalidAmount, field, "amount has more than %d decimal places", digits)
	}
	v := d.coef
	for range digits - d.scale {
		if v > maxCoef {
			return 0, invalid(ReasonAmountOverCap, field, "amount too large")
		}
		v *= 10
	}
	if v > 1<<63-1 {
		return 0, invalid(ReasonAmountOverCap, field, "amount too large")
	}
	return int64(v), nil
}

// ParseAmount parses decimal text ("129.90", "1e3") into exact minor units
// of a currency with the given number of minor digits.
func ParseAmount(text string, digits int) (int64, error) {
	var d decimal
	d.present = true
	d.parse(text)
	v, err := d.minor(digits, "")
	if err != nil {
		return 0, err
	}
	return v, nil
}

// FormatMinor renders minor units as decimal text with the currency's digits:
// FormatMinor(12990, 2) == "129.90", FormatMinor(-5, 2) == "-0.05".
func FormatMinor(minor int64, digits int) string {
	var buf [32]byte
	return string(AppendMinor(buf[:0], minor, digits))
}

// AppendMinor appends FormatMinor's text to b.
func AppendMinor(b []byte, minor int64, digits int) []byte {
	u := uint64(minor)
	if minor < 0 {
		b = append(b, '-')
		u = uint64(-minor)
	}
	var tmp [24]byte
	s := strconv.AppendUint(tmp[:0], u, 10)
	if digits == 0 {
		return append(b, s...)
	}
	for len(s) <= digits {
		s = append([]byte{'0'}, s...)
	}
	b = append(b, s[:len(s)-digits]...)
	b = append(b, '.')
	return append(b, s[len(s)-digits:]...)
}
