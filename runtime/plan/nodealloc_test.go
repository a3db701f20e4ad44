package plan

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Numbers parse as strconv parses them, with or without the short way
// for small integers.
func TestNumbersAsStrconv(t *testing.T) {
	for _, text := range []string{"0", "-0", "007", "42", "-42", "999999999999999999", "-999999999999999999",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "1.5", "-2e3", "+5", "-", "1-2", "--1"} {
		var want any
		var wantErr error
		if strings.ContainsAny(text, ".eE") {
			want, wantErr = strconv.ParseFloat(text, 64)
		} else {
			want, wantErr = strconv.ParseInt(text, 10, 64)
		}
		p := &parser{data: []byte(text + ",")}
		got, err := p.number()
		if (err != nil) != (wantErr != nil) || (err == nil && !reflect.DeepEqual(got, want)) {
			t.Errorf("%q: got %v (%v), want %v (%v)", text, got, err, want, wantErr)
		}
		p = &parser{data: []byte(text + ",")}
		n, err := p.integer()
		i, isInt := want.(int64)
		isInt = isInt && wantErr == nil
		if isInt != (err == nil) || (isInt && n != i) {
			t.Errorf("%q as an integer: got %d (%v), want %v", text, n, err, want)
		}
	}
}
