package codec

// Hand-written codecs for what the definitions cannot express: the columnar
// SqlPage and the error response. Layouts follow the Java member's
// SqlPageCodec, ListCNFixedSizeCodec and ErrorsCodec.

import (
	"fmt"

	"github.com/filbert/filbert/protocol"
)

// EncodeErrorResponse encodes an error response (type ErrorResponseType)
// into w and returns w.Finish(). errs must not be empty (the Go client reads
// an empty list as success); the first holder decides the client's error
// type, the rest are its causes.
func EncodeErrorResponse(w *protocol.Writer, errs []ErrorHolder) []byte {
	w.StartResponse(ErrorResponseType, 0)
	encodeListErrorHolder(w, errs)
	return w.Finish()
}

// DecodeErrorResponse decodes an error response.
func DecodeErrorResponse(m protocol.Message) ([]ErrorHolder, error) {
	it := m.Iter()
	if c := it.Next().Content; len(c) < protocol.ResponseHeaderSize {
		return nil, shortInitialFrame(&it, "error response", len(c), protocol.ResponseHeaderSize)
	}
	v := decodeListErrorHolder(&it)
	if err := it.Err(); err != nil {
		return nil, decodeError("error response", err)
	}
	return v, nil
}

// SQLColumnType is the type of an SQL column (wire format).
type SQLColumnType int32

// SQL column types.
const (
	SQLVarchar               SQLColumnType = 0
	SQLBoolean               SQLColumnType = 1
	SQLTinyInt               SQLColumnType = 2
	SQLSmallInt              SQLColumnType = 3
	SQLInteger               SQLColumnType = 4
	SQLBigInt                SQLColumnType = 5
	SQLDecimal               SQLColumnType = 6
	SQLReal                  SQLColumnType = 7
	SQLDouble                SQLColumnType = 8
	SQLDate                  SQLColumnType = 9
	SQLTime                  SQLColumnType = 10
	SQLTimestamp             SQLColumnType = 11
	SQLTimestampWithTimeZone SQLColumnType = 12
	SQLObject                SQLColumnType = 13
	SQLNull                  SQLColumnType = 14
	SQLJSON                  SQLColumnType = 15
)

// SQLPage is a page of SQL rows in columnar form, the SqlPage of
// Sql.execute and Sql.fetch responses.
//
// Wire layout: BEGIN; a one-byte frame with the last flag; one List_Integer
// frame of column type ids; one encoded column per type; END. Columns of
// fixed-size types (BOOLEAN to DOUBLE, DATE to TIMESTAMP_WITH_TIME_ZONE) are
// one frame: kind byte (1 all null, 2 none null, 3 mixed), int32 count, then
// the values, in the mixed kind preceded per 8 rows by a bitmask byte of the
// non-null ones. VARCHAR, DECIMAL, OBJECT and JSON columns are BEGIN, a
// value or NULL frame per row, END (a JSON value is itself BEGIN, string,
// END). A NULL column is one frame holding the int32 row count.
type SQLPage struct {
	Last    bool
	Columns []SQLColumn
}

// SQLColumn is one column of an SQLPage.
//
// Values holds one value per row, nil for SQL NULL, with the Go type set by
// Type: VARCHAR and JSON string, BOOLEAN bool, TINYINT int8, SMALLINT int16,
// INTEGER int32, BIGINT int64, REAL float32, DOUBLE float64, DATE
// SQLDateValue, TIME SQLTimeValue, TIMESTAMP SQLTimestampValue,
// TIMESTAMP_WITH_TIME_ZONE SQLTimestampTZValue, DECIMAL SQLDecimalValue,
// OBJECT []byte (serialized Data). NULL columns hold only nils.
type SQLColumn struct {
	Type   SQLColumnType
	Values []any
}

// SQLDateValue is a DATE value (java.time.LocalDate).
type SQLDateValue struct {
	Year       int32
	Month, Day byte
}

// SQLTimeValue is a TIME value (java.time.LocalTime).
type SQLTimeValue struct {
	Hour, Minute, Second byte
	Nano                 int32
}

// SQLTimestampValue is a TIMESTAMP value (java.time.LocalDateTime).
type SQLTimestampValue struct {
	Date SQLDateValue
	Time SQLTimeValue
}

// SQLTimestampTZValue is a TIMESTAMP_WITH_TIME_ZONE value
// (java.time.OffsetDateTime).
type SQLTimestampTZValue struct {
	Date          SQLDateValue
	Time          SQLTimeValue
	OffsetSeconds int32
}

// SQLDecimalValue is a DECIMAL value (java.math.BigDecimal): Unscaled is
// the big-endian two's complement unscaled value (BigInteger.toByteArray),
// the number is Unscaled * 10^-Scale.
type SQLDecimalValue struct {
	Unscaled []byte
	Scale    int32
}

// maxSQLPageRows bounds the row count a decoder accepts for columns whose
// size the frame does not bound (all-null columns).
const maxSQLPageRows = 1 << 20

// Kinds of a fixed-size nullable column frame.
const (
	cnNullOnly    = 1
	cnNotNullOnly = 2
	cnMixed       = 3
	cnHeaderSize  = 5
)

// cnCodec reads and writes the values of one fixed-size column type.
type cnCodec struct {
	size int
	put  func(c []byte, off int, v any) bool // false if v has the wrong Go type
	get  func(c []byte, off int) any
}

func putDate(c []byte, off int, d SQLDateValue) {
	protocol.PutInt32(c, off, d.Year)
	c[off+4] = d.Month
	c[off+5] = d.Day
}

func getDate(c []byte, off int) SQLDateValue {
	return SQLDateValue{Year: protocol.GetInt32(c, off), Month: c[off+4], Day: c[off+5]}
}

func putTime(c []byte, off int, t SQLTimeValue) {
	c[off], c[off+1], c[off+2] = t.Hour, t.Minute, t.Second
	protocol.PutInt32(c, off+3, t.Nano)
}

func getTime(c []byte, off int) SQLTimeValue {
	return SQLTimeValue{Hour: c[off], Minute: c[off+1], Second: c[off+2], Nano: protocol.GetInt32(c, off+3)}
}

var cnCodecs = map[SQLColumnType]cnCodec{
	SQLBoolean: {1,
		func(c []byte, off int, v any) bool { x, ok := v.(bool); protocol.PutBool(c, off, x); return ok },
		func(c []byte, off int) any { return protocol.GetBool(c, off) }},
	SQLTinyInt: {1,
		func(c []byte, off int, v any) bool { x, ok := v.(int8); c[off] = byte(x); return ok },
		func(c []byte, off int) any { return int8(c[off]) }},
	SQLSmallInt: {2,
		func(c []byte, off int, v any) bool { x, ok := v.(int16); protocol.PutInt16(c, off, x); return ok },
		func(c []byte, off int) any { return protocol.GetInt16(c, off) }},
	SQLInteger: {4,
		func(c []byte, off int, v any) bool { x, ok := v.(int32); protocol.PutInt32(c, off, x); return ok },
		func(c []byte, off int) any { return protocol.GetInt32(c, off) }},
	SQLBigInt: {8,
		func(c []byte, off int, v any) bool { x, ok := v.(int64); protocol.PutInt64(c, off, x); return ok },
		func(c []byte, off int) any { return protocol.GetInt64(c, off) }},
	SQLReal: {4,
		func(c []byte, off int, v any) bool { x, ok := v.(float32); protocol.PutFloat32(c, off, x); return ok },
		func(c []byte, off int) any { return protocol.GetFloat32(c, off) }},
	SQLDouble: {8,
		func(c []byte, off int, v any) bool { x, ok := v.(float64); protocol.PutFloat64(c, off, x); return ok },
		func(c []byte, off int) any { return protocol.GetFloat64(c, off) }},
	SQLDate: {6,
		func(c []byte, off int, v any) bool { x, ok := v.(SQLDateValue); putDate(c, off, x); return ok },
		func(c []byte, off int) any { return getDate(c, off) }},
	SQLTime: {7,
		func(c []byte, off int, v any) bool { x, ok := v.(SQLTimeValue); putTime(c, off, x); return ok },
		func(c []byte, off int) any { return getTime(c, off) }},
	SQLTimestamp: {13,
		func(c []byte, off int, v any) bool {
			x, ok := v.(SQLTimestampValue)
			putDate(c, off, x.Date)
			putTime(c, off+6, x.Time)
			return ok
		},
		func(c []byte, off int) any { return SQLTimestampValue{Date: getDate(c, off), Time: getTime(c, off+6)} }},
	SQLTimestampWithTimeZone: {17,
		func(c []byte, off int, v any) bool {
			x, ok := v.(SQLTimestampTZValue)
			putDate(c, off, x.Date)
			putTime(c, off+6, x.Time)
			protocol.PutInt32(c, off+13, x.OffsetSeconds)
			return ok
		},
		func(c []byte, off int) any {
			return SQLTimestampTZValue{Date: getDate(c, off), Time: getTime(c, off+6), OffsetSeconds: protocol.GetInt32(c, off+13)}
		}},
}

// Validate reports the first value whose Go type does not match its column
// type. Encoding a page that fails Validate panics.
func (p *SQLPage) Validate() error {
	for i, col := range p.Columns {
		for j, v := range col.Values {
			if v != nil && !sqlValueOK(col.Type, v) {
				return fmt.Errorf("codec: SQL page column %d (type %d) row %d: unexpected %T", i, col.Type, j, v)
			}
		}
		if _, ok := cnCodecs[col.Type]; !ok && col.Type != SQLVarchar && col.Type != SQLJSON &&
			col.Type != SQLDecimal && col.Type != SQLObject && col.Type != SQLNull {
			return fmt.Errorf("codec: SQL page column %d: unknown type %d", i, col.Type)
		}
	}
	return nil
}

func sqlValueOK(t SQLColumnType, v any) bool {
	switch t {
	case SQLVarchar, SQLJSON:
		_, ok := v.(string)
		return ok
	case SQLDecimal:
		_, ok := v.(SQLDecimalValue)
		return ok
	case SQLObject:
		_, ok := v.([]byte)
		return ok
	case SQLNull:
		return false
	}
	cn, ok := cnCodecs[t]
	if !ok {
		return false
	}
	var scratch [17]byte
	return cn.put(scratch[:], 0, v)
}

// encodeSQLPage writes p; see SQLPage for the layout.
func encodeSQLPage(w *protocol.Writer, p SQLPage) {
	if err := p.Validate(); err != nil {
		panic(err)
	}
	w.Begin()
	protocol.PutBool(w.Frame(0, 1), 0, p.Last)
	c := w.Frame(0, len(p.Columns)*protocol.IntSize)
	for i, col := range p.Columns {
		protocol.PutInt32(c, i*protocol.IntSize, int32(col.Type))
	}
	for _, col := range p.Columns {
		encodeSQLColumn(w, col)
	}
	w.End()
}

func encodeSQLColumn(w *protocol.Writer, col SQLColumn) {
	switch col.Type {
	case SQLNull:
		protocol.PutInt32(w.Frame(0, protocol.IntSize), 0, int32(len(col.Values)))
		return
	case SQLVarchar, SQLJSON, SQLDecimal, SQLObject:
		w.Begin()
		for _, v := range col.Values {
			if v == nil {
				w.Null()
				continue
			}
			switch col.Type {
			case SQLVarchar:
				w.StringFrame(v.(string))
			case SQLJSON:
				w.Begin()
				w.StringFrame(v.(string))
				w.End()
			case SQLDecimal:
				d := v.(SQLDecimalValue)
				c := w.Frame(0, 2*protocol.IntSize+len(d.Unscaled))
				protocol.PutInt32(c, 0, int32(len(d.Unscaled)))
				copy(c[protocol.IntSize:], d.Unscaled)
				protocol.PutInt32(c, protocol.IntSize+len(d.Unscaled), d.Scale)
			case SQLObject:
				w.BytesFrame(0, v.([]byte))
			}
		}
		w.End()
		return
	}
	cn := cnCodecs[col.Type]
	n := len(col.Values)
	nonNull := 0
	for _, v := range col.Values {
		if v != nil {
			nonNull++
		}
	}
	switch nonNull {
	case 0:
		c := w.Frame(0, cnHeaderSize)
		c[0] = cnNullOnly
		protocol.PutInt32(c, 1, int32(n))
	case n:
		c := w.Frame(0, cnHeaderSize+n*cn.size)
		c[0] = cnNotNullOnly
		protocol.PutInt32(c, 1, int32(n))
		for i, v := range col.Values {
			cn.put(c, cnHeaderSize+i*cn.size, v)
		}
	default:
		c := w.Frame(0, cnHeaderSize+(n+7)/8+nonNull*cn.size)
		c[0] = cnMixed
		protocol.PutInt32(c, 1, int32(n))
		pos := cnHeaderSize
		for i := 0; i < n; i += 8 {
			maskPos := pos
			pos++
			for j := 0; j < 8 && i+j < n; j++ {
				if v := col.Values[i+j]; v != nil {
					c[maskPos] |= 1 << j
					cn.put(c, pos, v)
					pos += cn.size
				}
			}
		}
	}
}

// decodeSQLPage reads an SQLPage, skipping to the END of its structure.
func decodeSQLPage(it *protocol.Iterator) SQLPage {
	var p SQLPage
	it.Begin()
	last := valueFrame(it, "SqlPage last flag")
	if it.Err() != nil {
		return p
	}
	if len(last) < 1 {
		it.Failf("SqlPage: empty last flag frame")
		return p
	}
	p.Last = last[0] == 1
	types := fixedItems(it, "SqlPage column types", protocol.IntSize)
	p.Columns = make([]SQLColumn, 0, len(types)/protocol.IntSize)
	for i := 0; i+protocol.IntSize <= len(types) && it.Err() == nil; i += protocol.IntSize {
		p.Columns = append(p.Columns, decodeSQLColumn(it, SQLColumnType(protocol.GetInt32(types, i))))
	}
	it.SkipToEnd()
	return p
}

func decodeSQLColumn(it *protocol.Iterator, t SQLColumnType) SQLColumn {
	col := SQLColumn{Type: t, Values: []any{}}
	switch t {
	case SQLNull:
		c := valueFrame(it, "SqlPage NULL column")
		if it.Err() != nil {
			return col
		}
		if len(c) < protocol.IntSize {
			it.Failf("SqlPage NULL column: frame of %d bytes", len(c))
			return col
		}
		n := protocol.GetInt32(c, 0)
		if n < 0 || n > maxSQLPageRows {
			it.Failf("SqlPage NULL column: %d rows", n)
			return col
		}
		col.Values = make([]any, n)
		return col
	case SQLVarchar, SQLJSON, SQLDecimal, SQLObject:
		it.Begin()
		for !it.NextIsEnd() {
			if it.NextIsNull() {
				col.Values = append(col.Values, nil)
				continue
			}
			switch t {
			case SQLVarchar:
				col.Values = append(col.Values, decodeString(it))
			case SQLJSON:
				col.Values = append(col.Values, DecodeHazelcastJSONValue(it).Value)
			case SQLDecimal:
				col.Values = append(col.Values, decodeSQLDecimal(it))
			case SQLObject:
				col.Values = append(col.Values, decodeData(it))
			}
		}
		it.Next()
		return col
	}
	cn, ok := cnCodecs[t]
	if !ok {
		it.Failf("SqlPage: unknown column type %d", t)
		return col
	}
	c := valueFrame(it, "SqlPage column")
	if it.Err() != nil {
		return col
	}
	if len(c) < cnHeaderSize {
		it.Failf("SqlPage column: frame of %d bytes", len(c))
		return col
	}
	kind, n := c[0], int(protocol.GetInt32(c, 1))
	if n < 0 || n > maxSQLPageRows {
		it.Failf("SqlPage column: %d rows", n)
		return col
	}
	switch kind {
	case cnNullOnly:
		col.Values = make([]any, n)
	case cnNotNullOnly:
		if len(c) < cnHeaderSize+n*cn.size {
			it.Failf("SqlPage column: %d rows of %d bytes in %d bytes", n, cn.size, len(c))
			return col
		}
		col.Values = make([]any, n)
		for i := range col.Values {
			col.Values[i] = cn.get(c, cnHeaderSize+i*cn.size)
		}
	case cnMixed:
		col.Values = make([]any, 0, min(n, len(c)*8))
		pos := cnHeaderSize
		for len(col.Values) < n {
			if pos >= len(c) {
				it.Failf("SqlPage column: truncated at row %d of %d", len(col.Values), n)
				return col
			}
			mask := c[pos]
			pos++
			for j := 0; j < 8 && len(col.Values) < n; j++ {
				if mask&(1<<j) == 0 {
					col.Values = append(col.Values, nil)
					continue
				}
				if pos+cn.size > len(c) {
					it.Failf("SqlPage column: truncated at row %d of %d", len(col.Values), n)
					return col
				}
				col.Values = append(col.Values, cn.get(c, pos))
				pos += cn.size
			}
		}
	default:
		it.Failf("SqlPage column: unknown kind %d", kind)
	}
	return col
}

func decodeSQLDecimal(it *protocol.Iterator) SQLDecimalValue {
	c := valueFrame(it, "DECIMAL")
	if it.Err() != nil {
		return SQLDecimalValue{}
	}
	if len(c) < 2*protocol.IntSize {
		it.Failf("DECIMAL of %d bytes", len(c))
		return SQLDecimalValue{}
	}
	n := protocol.GetInt32(c, 0)
	if n < 0 || int(n) > len(c)-2*protocol.IntSize {
		it.Failf("DECIMAL with %d value bytes in a frame of %d", n, len(c))
		return SQLDecimalValue{}
	}
	return SQLDecimalValue{
		Unscaled: alias(c[protocol.IntSize : protocol.IntSize+n]),
		Scale:    protocol.GetInt32(c, protocol.IntSize+int(n)),
	}
}
