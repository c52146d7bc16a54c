package sqlite

import (
	"strings"
)

// multiRow is an INSERT whose rows are bound parameters, "VALUES (?, ...),
// (?, ...)", prepared for several numbers of rows so that a batch of rows
// costs a few statements and no JSON on either side.
type multiRow struct {
	cols  int
	texts map[int]string // rows -> SQL text
}

// multiRowSizes are the numbers of rows a multiRow is prepared for; a batch
// is cut greedily into pieces of these sizes.
var multiRowSizes = []int{128, 64, 32, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}

// newMultiRow builds the statement texts: head ends with "VALUES", tail
// (an ON CONFLICT clause, or empty) follows the rows.
func newMultiRow(head string, cols int, tail string) *multiRow {
	m := &multiRow{cols: cols, texts: map[int]string{}}
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	for _, n := range multiRowSizes {
		var b strings.Builder
		b.WriteString(head)
		b.WriteString(" ")
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(row)
		}
		if tail != "" {
			b.WriteString(" ")
			b.WriteString(tail)
		}
		m.texts[n] = b.String()
	}
	return m
}

// statements returns the texts to prepare.
func (m *multiRow) statements() []string {
	out := make([]string, 0, len(m.texts))
	for _, n := range multiRowSizes {
		out = append(out, m.texts[n])
	}
	return out
}

// execRows inserts the rows whose values are args, m.cols per row, in row
// order.
func (r *reader) execRows(m *multiRow, args []any) error { return execRows(r, m, args) }

func execRows(ex execer, m *multiRow, args []any) error {
	for len(args) > 0 {
		rows := len(args) / m.cols
		n := 1
		for _, size := range multiRowSizes {
			if size <= rows {
				n = size
				break
			}
		}
		if _, err := ex.exec(m.texts[n], args[:n*m.cols]...); err != nil {
			return err
		}
		args = args[n*m.cols:]
	}
	return nil
}
