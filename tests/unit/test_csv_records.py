"""CSV records (API.md §6): formula escaping, the header, streaming records, byte ranges, the writer."""

from __future__ import annotations

import io
import itertools
import random
import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from clientele.domain.csvio import records as csv_records
from clientele.domain.csvio.records import (
    CHUNK_SIZE,
    FORMULA_TRIGGERS,
    Header,
    HeaderError,
    RangeStart,
    Record,
    csv_line,
    escape_cell,
    read_header,
    read_records,
    split_offsets,
    unescape_cell,
)

MIB = 1_048_576

# Bytes made mostly of what CSV syntax is made of, so generated files hit quotes, delimiters and line ends.
CSVISH_BYTES = st.lists(
    st.sampled_from([b"a", b"b", b",", b";", b"\t", b'"', b'""', b"\n", b"\r", b"\r\n", b"\xff", b"\xc3\xa9", b"\x00"]),
    max_size=120,
).map(b"".join)


def read_all(data: bytes, **options: int) -> tuple[Header, list[Record]]:
    stream = io.BytesIO(data)
    header = read_header(stream)
    records = read_records(
        stream, header, start_offset=header.data_offset, first_row=1, first_line=header.next_line, **options
    )
    return header, list(records)


def cells(data: bytes) -> list[list[str]]:
    return [record.cells for record in read_all(data)[1]]


def header_error(data: bytes, **options: int) -> str:
    with pytest.raises(HeaderError) as caught:
        read_header(io.BytesIO(data), **options)
    return caught.value.code


def numbering(records: list[Record]) -> list[tuple[int, int]]:
    return [(record.row, record.line) for record in records]


class ShortReads(io.RawIOBase):
    """A raw stream that hands out at most `step` bytes per read, like a network body."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = data
        self._pos = 0
        self._step = step

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._pos = offset
        return offset

    def read(self, size: int = -1) -> bytes:
        size = self._step if size < 0 else min(size, self._step)
        piece = self._data[self._pos : self._pos + size]
        self._pos += len(piece)
        return piece


# --- formula escaping ---------------------------------------------------------------


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_a_cell_starting_with_a_trigger_is_prefixed_with_a_quote(trigger):
    assert escape_cell(trigger + "1+1") == "'" + trigger + "1+1"


@pytest.mark.parametrize("value", ["", "Acme", "00123", "1=1", " =1", "a-b", "ünïcode", "\n=1"])
def test_other_cells_are_exported_unchanged(value):
    assert escape_cell(value) == value


@pytest.mark.parametrize(
    ("cell", "imported"),
    [
        ("'=SUM(A1)", "=SUM(A1)"),
        ("'-5", "-5"),
        ("''", "'"),
        ("''=1", "'=1"),  # only one quote goes
        ("'abc", "'abc"),  # a quote before an ordinary character is data
        ("'", "'"),
        ("O'Brien", "O'Brien"),
        ("=1", "=1"),  # an unescaped formula stays as written
    ],
)
def test_unescape_removes_one_quote_only_before_a_trigger(cell, imported):
    assert unescape_cell(cell) == imported


@given(st.text())
@example("'")
@example("''=")
@example("\r")
def test_escape_then_unescape_returns_every_string(value):
    assert unescape_cell(escape_cell(value)) == value


@given(st.text())
def test_an_escaped_cell_never_starts_with_a_formula_character(value):
    assert not escape_cell(value).startswith(tuple(trigger for trigger in FORMULA_TRIGGERS if trigger != "'"))


# --- the writer ------------------------------------------------------------------------


def test_csv_line_quotes_cells_with_delimiters_quotes_and_line_breaks():
    line = csv_line(["a", "b,c", 'say "hi"', "x\ny", "x\ry", "semi;colon", "tab\there", ""], escape=False)
    assert line == 'a,"b,c","say ""hi""","x\ny","x\ry","semi;colon","tab\there",\r\n'


def test_csv_line_escapes_formulas_unless_told_not_to():
    assert csv_line(["=1+1", "@x", "plain"]) == "'=1+1,'@x,plain\r\n"
    assert csv_line(["=1+1"], escape=False) == "=1+1\r\n"


def test_a_row_of_one_empty_cell_is_not_written_as_a_blank_line():
    assert csv_line([""]) == '""\r\n'
    assert cells(b"h\r\n" + csv_line([""]).encode()) == [[""]]


_ROW = st.lists(st.text(st.characters(exclude_categories=["Cs"])), min_size=1, max_size=6)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ROW, max_size=8))
@example([["00012345678901234567890", "0042", "=1+1", "+61 2", "-5", "@sum", "'quoted", "\tx", "\rx", "\0x"]])
@example([["line\nbreak", 'a "quote"', "crlf\r\ninside", "comma,here", " spaced ", 'both "\n" and ,"']])
@example([[""], ["", ""], ["\ufeff"]])
def test_written_rows_read_back_exactly(rows):
    width = max((len(row) for row in rows), default=1)
    text = csv_line([f"c{index}" for index in range(width)]) + "".join(csv_line(row) for row in rows)
    header, records = read_all(text.encode())
    assert header.names == [f"c{index}" for index in range(width)]
    assert [[unescape_cell(cell) for cell in record.cells] for record in records] == rows
    assert all(record.error is None for record in records)


# --- the header ------------------------------------------------------------------------


def test_header_names_delimiter_and_where_the_data_starts():
    header = read_header(io.BytesIO(b"name,code\nAcme,A1\n"))
    assert header == Header(names=["name", "code"], delimiter=",", data_offset=10, next_line=2)


def test_a_utf8_bom_is_skipped():
    header, records = read_all(b"\xef\xbb\xbfname,code\r\nAcme,A1\r\n")
    assert header.names == ["name", "code"]
    assert header.data_offset == 3 + len(b"name,code\r\n")
    assert records[0].cells == ["Acme", "A1"]
    assert records[0].start_offset == header.data_offset


def test_a_bom_before_a_quoted_header_cell_does_not_hide_the_quote():
    assert read_header(io.BytesIO(b'\xef\xbb\xbf"name",code\n')).names == ["name", "code"]


def test_a_bom_inside_the_data_is_kept():
    assert cells(b"name\n\xef\xbb\xbfAcme\n") == [["\ufeffAcme"]]


def test_header_names_are_stripped_but_otherwise_raw():
    assert read_header(io.BytesIO(b" Name , 'code,\tE-mail\n")).names == ["Name", "'code", "E-mail"]


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [
        (b"name,code,email", ","),
        (b"name;code;email", ";"),
        (b"name\tcode\temail", "\t"),
        (b"name;code,email;phone", ";"),
        (b"name", ","),  # none occurs
        (b"name,code;email", ","),  # a tie goes to the comma
        (b"name;code\temail", ";"),  # then the semicolon
        (b'"a;b;c;d",name,code', ","),  # delimiters inside quotes don't count
        (b'"a,b,c";name', ";"),
    ],
)
def test_the_delimiter_is_the_one_occurring_most_often_outside_quotes(line, delimiter):
    assert read_header(io.BytesIO(line + b"\n")).delimiter == delimiter


def test_semicolon_and_tab_files_are_read_with_their_delimiter():
    assert cells(b"name;code\nAcme, Inc;A1\n") == [["Acme, Inc", "A1"]]
    assert cells(b"name\tcode\nAcme; Inc\tA1\n") == [["Acme; Inc", "A1"]]


def test_a_header_with_a_quoted_newline_moves_the_first_data_line():
    header, records = read_all(b'"customer\nname",code\nAcme,A1\n')
    assert header.names == ["customer\nname", "code"]
    assert header.next_line == 3
    assert numbering(records) == [(1, 3)]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf"])
def test_an_empty_file_has_no_header(data):
    assert header_error(data) == "empty_file"


@pytest.mark.parametrize("data", [b"\nname\nAcme\n", b"\r\nname\r\n", b"\xef\xbb\xbf\n", b"\r"])
def test_a_blank_first_line_is_no_header(data):
    assert header_error(data) == "no_header"


@pytest.mark.parametrize(
    "data",
    [
        b"name,c\xf6de\n",  # Latin-1
        "name,code\n".encode("utf-16"),
        b"\x00\xff\xfe\x80\n",
    ],
)
def test_a_header_that_is_not_utf8_is_undecodable(data):
    assert header_error(data) == "undecodable_header"


def test_a_header_longer_than_the_limit_is_refused():
    assert header_error(b"a" * 101 + b"\nx\n", max_record_bytes=100) == "header_too_long"
    assert read_header(io.BytesIO(b"a" * 100 + b"\r\nx\n"), max_record_bytes=100).names == ["a" * 100]
    assert header_error(b"h" * (MIB + 1) + b"\n") == "header_too_long"
    assert header_error(b"h," * MIB) == "header_too_long"


@pytest.mark.parametrize("data", [b'"name,code\nAcme,A1\n', b'"name"x,code\nAcme\n'])
def test_a_malformed_header_is_refused(data):
    assert header_error(data) == "malformed_header"


def test_header_error_carries_code_and_message():
    with pytest.raises(HeaderError) as caught:
        read_header(io.BytesIO(b""))
    assert (caught.value.code, caught.value.message, str(caught.value)) == (
        "empty_file",
        "the file is empty",
        "the file is empty",
    )


def test_a_header_of_10000_columns():
    names = [f"column_{index}" for index in range(10_000)]
    data = (",".join(names) + "\n" + ",".join(str(index) for index in range(10_000)) + "\n").encode()
    header, records = read_all(data)
    assert header.names == names
    assert records[0].cells == [str(index) for index in range(10_000)]


@pytest.mark.parametrize("data", [b"name,code\n", b"name,code\r\n", b"name,code", b"name,code\n\n\r\n"])
def test_a_header_only_file_has_no_records(data):
    header, records = read_all(data)
    assert header.names == ["name", "code"]
    assert records == []


def test_a_header_without_line_terminator_ends_at_the_end_of_the_file():
    header = read_header(io.BytesIO(b"name,code"))
    assert (header.data_offset, header.next_line) == (9, 2)


# --- records -------------------------------------------------------------------------------


def test_crlf_and_lf_files_give_the_same_records():
    lf, crlf = b"name,code\nAcme,A1\nBeta,B2\n", b"name,code\r\nAcme,A1\r\nBeta,B2\r\n"
    assert cells(lf) == cells(crlf) == [["Acme", "A1"], ["Beta", "B2"]]
    assert cells(b"name,code\r\nAcme,A1\nBeta,B2") == [["Acme", "A1"], ["Beta", "B2"]]


def test_cr_only_files_give_the_records_of_lf_files():
    lf = b'name,code,note\nAcme,A1,"two\nlines"\n\nBeta,B2,x\n'
    cr = lf.replace(b"\n", b"\r")
    lf_header, lf_records = read_all(lf)
    cr_header, cr_records = read_all(cr)

    assert (cr_header.names, cr_header.newline, lf_header.newline) == (["name", "code", "note"], "\r", "\n")
    assert [record.cells for record in cr_records] == [["Acme", "A1", "two\rlines"], ["Beta", "B2", "x"]]
    assert numbering(cr_records) == numbering(lf_records) == [(1, 2), (2, 5)]
    offsets = [(record.start_offset, record.end_offset) for record in cr_records]
    assert offsets == [(record.start_offset, record.end_offset) for record in lf_records]


@pytest.mark.parametrize(
    ("data", "newline", "names"),
    [
        (b"name,code\rAcme,A1\r", "\r", ["name", "code"]),
        (b"name,code\r\nAcme,A1\r\n", "\n", ["name", "code"]),
        (b"name,code\nAcme,A1\r", "\n", ["name", "code"]),
        (b'"na\rme",code\nAcme,A1\n', "\n", ["na\rme", "code"]),  # a quoted CR is no line end
        (b"name,code\r", "\r", ["name", "code"]),
    ],
)
def test_the_header_line_end_decides_the_files(data, newline, names):
    for step in (1, 2, len(data)):  # a CR at the end of a read must wait for the next byte
        header = read_header(ShortReads(data, step))
        assert (header.newline, header.names) == (newline, names)


def test_in_a_cr_only_file_a_line_feed_is_cell_data():
    assert cells(b"name,code\rA\nB,A1\r") == [["A\nB", "A1"]]


def test_a_cr_only_file_read_in_short_reads_gives_the_same_records():
    data = b'\xef\xbb\xbfname;note\rAcme;"a;b\rc"\r\rBeta;""""\rGamma;x'
    expected = read_all(data)
    stream = ShortReads(data, 1)
    header = read_header(stream)
    records = list(read_records(stream, header, start_offset=header.data_offset, first_row=1, first_line=2))
    assert (header, records) == expected
    assert [record.cells for record in records] == [["Acme", "a;b\rc"], ["Beta", '"'], ["Gamma", "x"]]


@pytest.mark.parametrize(
    "data",
    [b'name,"code\r\nAcme,A1\r\n', b'code;name;"email\nA;B;C\n', b'name,"code\rAcme,A1\r', b'code,"name'],
)
def test_a_header_quote_that_never_closes_is_a_malformed_header(data):
    with pytest.raises(HeaderError) as caught:
        read_header(io.BytesIO(data))
    assert (caught.value.code, caught.value.message) == (
        "malformed_header",
        "the header has a quote that is never closed",
    )


def test_a_quote_inside_a_header_cell_is_no_open_quote():
    # Only a quote at the start of a field opens one: this is a header of two names, one holding a quote.
    assert read_header(io.BytesIO(b'name,co"de\nA,1\n')).names == ["name", 'co"de']


def test_a_last_record_without_terminator_and_a_trailing_carriage_return():
    assert cells(b"name\nAcme") == [["Acme"]]
    assert cells(b"name\nAcme\r") == [["Acme"]]


def test_quoted_fields_keep_delimiters_newlines_and_doubled_quotes():
    data = b'name,note\n"Acme, Inc","line 1\r\nline 2\nsay ""hi"""\n"",""""\n'
    assert cells(data) == [["Acme, Inc", 'line 1\r\nline 2\nsay "hi"'], ["", '"']]


def test_a_doubled_quote_does_not_close_the_field():
    data = b'name,note\n"say ""hi""\n,""bye""",x\nnext,y\n'
    assert cells(data) == [['say "hi"\n,"bye"', "x"], ["next", "y"]]


def test_cells_are_not_trimmed_or_unescaped():
    assert cells(b"name,code\n  Acme  ,'=1\n") == [["  Acme  ", "'=1"]]


def test_a_quote_inside_an_unquoted_field_is_an_ordinary_character():
    assert cells(b'name,size\nPipe,5" wide\nNail,3"\n') == [["Pipe", '5" wide'], ["Nail", '3"']]


def test_a_lone_carriage_return_inside_a_line_is_data():
    assert cells(b"name,code\nAc\rme,A1\n") == [["Ac\rme", "A1"]]


def test_text_after_a_closing_quote_is_a_malformed_record():
    _, records = read_all(b'name,code\n"Acme"Inc,A1\nBeta,B2\n')
    assert records[0].error.code == "malformed_record"
    assert records[0].cells == []
    assert records[1].cells == ["Beta", "B2"]
    assert numbering(records) == [(1, 2), (2, 3)]


def test_blank_lines_are_skipped_without_using_a_row_number():
    data = b"name\n\nAcme\r\n\r\n\nBeta\n\n"
    _, records = read_all(data)
    assert [record.cells for record in records] == [["Acme"], ["Beta"]]
    assert numbering(records) == [(1, 3), (2, 6)]


def test_a_record_of_empty_cells_or_spaces_is_not_blank():
    assert cells(b"a,b,c\n,,\n \n") == [["", "", ""], [" "]]


def test_rows_count_records_and_lines_count_physical_lines():
    data = b'name,note\nAcme,"two\nlines"\nBeta,"three\r\nlines\nhere"\n\nGamma,x\n'
    _, records = read_all(data)
    assert [record.cells[0] for record in records] == ["Acme", "Beta", "Gamma"]
    assert numbering(records) == [(1, 2), (2, 4), (3, 8)]


def test_offsets_cover_each_record_and_its_terminator():
    data = b'name\r\nAcme\r\n"Be\nta"\nGamma'
    _, records = read_all(data)
    assert [(record.start_offset, record.end_offset) for record in records] == [(6, 12), (12, 20), (20, 25)]
    assert [data[record.start_offset : record.end_offset] for record in records] == [
        b"Acme\r\n",
        b'"Be\nta"\n',
        b"Gamma",
    ]


def test_invalid_utf8_fails_only_its_record():
    data = b"name,code\nAcme,A1\nB\xe9ta,B2\nGamma,G3\n"
    _, records = read_all(data)
    assert [record.cells for record in records] == [["Acme", "A1"], [], ["Gamma", "G3"]]
    bad = records[1]
    assert bad.error.code == "invalid_encoding"
    assert "offset 19" in bad.error.message  # the é byte
    assert numbering(records) == [(1, 2), (2, 3), (3, 4)]


def test_an_unterminated_quote_ends_the_file_with_one_error_where_it_started():
    data = b'name,note\nAcme,ok\nBeta,"never closed\nGamma,x\nDelta,y\n'
    _, records = read_all(data)
    assert [record.cells for record in records] == [["Acme", "ok"], []]
    assert records[1].error.code == "unterminated_quote"
    assert numbering(records) == [(1, 2), (2, 3)]
    assert records[1].end_offset == len(data)


def test_a_record_longer_than_the_limit_is_skipped_and_reading_goes_on():
    data = b"name\n" + b"a" * 11 + b"\n" + b"b" * 10 + b"\r\nc\n"
    _, records = read_all(data, max_record_bytes=10)
    assert [record.error.code if record.error else record.cells for record in records] == [
        "record_too_long",
        ["b" * 10],  # exactly the limit; the CRLF does not count
        ["c"],
    ]
    assert numbering(records) == [(1, 2), (2, 3), (3, 4)]


def test_a_long_quoted_record_is_skipped_to_its_real_end():
    data = b'name\n"' + b"x\n" * 50 + b'"\nnext\n'
    _, records = read_all(data, max_record_bytes=10)
    assert records[0].error.code == "record_too_long"
    assert records[1].cells == ["next"]
    assert numbering(records) == [(1, 2), (2, 53)]


def test_a_long_record_inside_an_unterminated_quote_ends_as_unterminated():
    data = b'name\nok\n"' + b"x\n" * 50
    _, records = read_all(data, max_record_bytes=10)
    assert [record.error.code if record.error else record.cells for record in records] == [
        ["ok"],
        "unterminated_quote",
    ]


def test_a_one_megabyte_cell_with_the_default_limit():
    _, records = read_all(b"name\n" + b"x" * MIB + b"\nnext\n")
    assert records[0].cells == ["x" * MIB]
    _, records = read_all(b"name\n" + b"x" * (MIB + 1) + b"\nnext\n")
    assert records[0].error.code == "record_too_long"
    assert records[1].cells == ["next"]


def test_nul_bytes_are_cell_data():
    assert cells(b"name,code\n\x00,a\x00b\n") == [["\x00", "a\x00b"]]


@settings(max_examples=500)
@given(CSVISH_BYTES | st.binary(max_size=400))
def test_binary_garbage_never_raises(data):
    try:
        header = read_header(io.BytesIO(data))
    except HeaderError:
        return
    records = list(read_records(io.BytesIO(data), header, start_offset=header.data_offset, first_row=1, first_line=2))
    assert all(record.error or isinstance(record.cells, list) for record in records)
    assert [record.row for record in records] == list(range(1, len(records) + 1))


def test_random_megabytes_never_raise():
    data = b"name,code\n" + random.Random(7).randbytes(2 * MIB)
    header, records = read_all(data)
    assert header.names == ["name", "code"]
    assert records
    assert all(record.start_offset < record.end_offset <= len(data) for record in records)


def test_end_offset_yields_the_records_starting_before_it_whole():
    data = b"name\nAcme\nBeta\nGamma\n"  # records start at 5, 10, 15
    header, _ = read_all(data)

    def between(start: int, end: int) -> list[list[str]]:
        stream = io.BytesIO(data)
        found = read_records(stream, header, start_offset=start, first_row=1, first_line=2, end_offset=end)
        return [record.cells for record in found]

    assert between(5, 10) == [["Acme"]]
    assert between(5, 11) == [["Acme"], ["Beta"]]  # Beta starts before 11 and ends after it
    assert between(10, 15) == [["Beta"]]
    assert between(15, 16) == [["Gamma"]]


def test_read_header_leaves_a_seekable_stream_at_the_data():
    stream = io.BytesIO(b"name,code\r\n" + b"x" * 200_000)
    header = read_header(stream)
    assert stream.tell() == header.data_offset == 11


@given(st.text(st.sampled_from('ab,;\t"\r\n\x00é'), max_size=40), st.sampled_from(csv_records.DELIMITERS))
@example('"a"\r', ",")
@example("a\r", ",")
@example('"' + "x" * 200_000 + '",y', ",")  # longer than the csv module's field limit
def test_the_csv_module_shortcut_parses_like_the_reference_parser(text, delimiter):
    assert csv_records._split_cells(text, delimiter) == csv_records._parse_cells(text, delimiter)


def test_reading_seeks_to_the_start_offset_itself():
    data = b"name\nAcme\nBeta\n"
    stream = io.BytesIO(data)
    header = read_header(stream)
    stream.seek(0)
    records = list(read_records(stream, header, start_offset=10, first_row=2, first_line=3))
    assert [(record.row, record.line, record.cells) for record in records] == [(2, 3, ["Beta"])]


def test_short_reads_give_the_same_records():
    data = b'\xef\xbb\xbfname;note\r\nAcme;"a;b\r\nc"\r\n\r\nBeta;""""\nGamma;x'
    expected = read_all(data)
    stream = ShortReads(data, 1)
    header = read_header(stream)
    records = list(read_records(stream, header, start_offset=header.data_offset, first_row=1, first_line=2))
    assert (header, records) == expected


@settings(max_examples=300)
@given(CSVISH_BYTES | st.binary(max_size=300), st.integers(min_value=1, max_value=7))
def test_any_chunk_size_gives_the_same_records(body, chunk_size):
    data = b'h1,"h2"\r\n' + body
    expected = read_all(data)
    original = csv_records.CHUNK_SIZE
    csv_records.CHUNK_SIZE = chunk_size
    try:
        assert read_all(data) == expected
    finally:
        csv_records.CHUNK_SIZE = original


class GeneratedCsv(io.RawIOBase):
    """A non-seekable stream of `rows` generated records, produced as it is read (never held whole)."""

    HEADER = b"code,name,note,zip,formula,other\r\n"
    # About the size of a real customer row, with the quoting features that make records hard to find.
    LINE = b'C%08d,"Acme, Inc ""%08d""","a\nb",00123,=1+1,' + b"x" * 300 + b"\r\n"

    def __init__(self, rows: int, *, with_header: bool = True) -> None:
        self._lines = (self.LINE % (row, row) for row in range(rows))
        self._pending = self.HEADER if with_header else b""
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "the reader must ask for bounded chunks"
        self.largest_read = max(self.largest_read, size)
        pieces, length = [self._pending], len(self._pending)
        while length < size and (line := next(self._lines, None)) is not None:
            pieces.append(line)
            length += len(line)
        data = b"".join(pieces)
        self._pending = data[size:]
        return data[:size]


def _count_records(rows: int) -> tuple[int, Record | None, int]:
    """Reads the header from one stream and the records from another already past it, as a non-seekable caller must."""
    header = read_header(GeneratedCsv(rows))
    stream = GeneratedCsv(rows, with_header=False)
    count, last = 0, None
    for last in read_records(stream, header, start_offset=header.data_offset, first_row=1, first_line=2):
        assert last.error is None
        count += 1
    return count, last, stream.largest_read


@pytest.mark.slow
def test_a_50_mb_stream_is_read_in_flat_memory():
    rows = 50 * MIB // len(GeneratedCsv.LINE % (0, 0))
    tracemalloc.start()
    try:
        count, last, largest_read = _count_records(rows)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == rows
    assert last is not None and last.row == rows and last.line == 2 * rows
    assert last.cells == [f"C{rows - 1:08d}", f'Acme, Inc "{rows - 1:08d}"', "a\nb", "00123", "=1+1", "x" * 300]
    assert peak < 3 * MIB
    assert largest_read <= CHUNK_SIZE


class OneHugeRecord(io.RawIOBase):
    """A non-seekable file whose first data record is about `size` bytes (quoted with line breaks if `quoted`)."""

    HEADER = b"name,code\n"

    def __init__(self, size: int, *, quoted: bool, with_header: bool = True) -> None:
        self._parts = self._generate(size, quoted, with_header)

    def _generate(self, size: int, quoted: bool, with_header: bool) -> Iterator[bytes]:
        quote = b'"' if quoted else b""
        if with_header or quoted:
            yield (self.HEADER if with_header else b"") + quote
        for _ in range(size // 65_536):
            yield (b"ab\n," if quoted else b"abcd") * 16_384  # a new object each time, as a real read gives
        yield quote + b",x\nnext,y\n"

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        return next(self._parts, b"")


@pytest.mark.parametrize("quoted", [False, True])
def test_a_huge_record_is_skipped_in_flat_memory(quoted):
    header = read_header(OneHugeRecord(30 * MIB, quoted=quoted))
    tracemalloc.start()
    try:
        stream = OneHugeRecord(30 * MIB, quoted=quoted, with_header=False)
        records = list(read_records(stream, header, start_offset=header.data_offset, first_row=1, first_line=2))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [record.error.code if record.error else record.cells for record in records] == [
        "record_too_long",
        ["next", "y"],
    ]
    assert records[1].line == (3 + 30 * MIB // 4 if quoted else 3)
    assert peak < 4 * MIB


# --- byte ranges ---------------------------------------------------------------------------


def ranged_read(data: bytes, parts: int) -> tuple[list[RangeStart], list[Record]]:
    stream = io.BytesIO(data)
    header = read_header(stream)
    starts = split_offsets(stream, header, len(data), parts)
    records: list[Record] = []
    ends = [start.offset for start in starts[1:]] + [None]
    for start, end in zip(starts, ends, strict=True):
        records += read_records(
            stream, header, start_offset=start.offset, first_row=start.row, first_line=start.line, end_offset=end
        )
    return starts, records


def _file_texts(terminators: tuple[str, ...] = ("\n", "\r\n")) -> st.SearchStrategy[bytes]:
    cell = st.text(st.sampled_from('ab,;"\r\n\t=é'), max_size=8)
    row = st.lists(cell, min_size=1, max_size=4)

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        terminator = draw(st.sampled_from(terminators))
        lines = ["name,code,note" + terminator]
        for cells_of_row in draw(st.lists(row, max_size=12)):
            if draw(st.booleans()) and draw(st.booleans()):
                lines.append(terminator)  # a blank line
            lines.append(csv_line(cells_of_row, escape=draw(st.booleans())).replace("\r\n", terminator))
        return "".join(lines).encode()

    return build()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_file_texts(), st.integers(min_value=1, max_value=9))
def test_ranges_partition_the_records_of_written_files(data, parts):
    starts, records = ranged_read(data, parts)
    assert records == read_all(data)[1]
    assert 1 <= len(starts) <= parts


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_file_texts(("\r",)), st.integers(min_value=1, max_value=9))
def test_ranges_partition_the_records_of_cr_only_files(data, parts):
    starts, records = ranged_read(data, parts)
    assert read_header(io.BytesIO(data)).newline == "\r"
    assert records == read_all(data)[1]
    assert all(data[start.offset - 1 : start.offset] == b"\r" for start in starts)


@settings(max_examples=300)
@given((CSVISH_BYTES | st.binary(max_size=300)).map(lambda body: b"h1,h2\n" + body), st.integers(1, 9))
@example(b'h1,h2\na,"x\n\n\nb",c\n\n\nd,"\xff\n",e\r\n"unterminated\nf\n', 4)
def test_ranges_partition_the_records_of_any_bytes(data, parts):
    assert ranged_read(data, parts)[1] == read_all(data)[1]


def test_range_starts_skip_quoted_newlines_and_carry_rows_and_lines():
    data = b'name,note\n"A","' + b"x\n" * 20 + b'"\n\nB,y\nC,z\n'
    starts, records = ranged_read(data, 3)
    assert starts[0] == RangeStart(10, 2, 1)
    assert all(data[start.offset - 1 : start.offset] == b"\n" for start in starts)
    assert starts[1:] == [RangeStart(57, 23, 2)]  # the blank line at 56 is inside the 2nd share; B at 57
    assert [record.cells[0] for record in records] == ["A", "B", "C"]


def test_a_small_file_gives_fewer_ranges():
    data = b"name\nA\nB\n"
    starts = ranged_read(data, 50)[0]
    assert [start.offset for start in starts] == [5, 7]
    assert [(start.row, start.line) for start in starts] == [(1, 2), (2, 3)]


@pytest.mark.parametrize("data", [b"name\n", b"name"])
def test_a_header_only_file_is_one_empty_range(data):
    starts, records = ranged_read(data, 4)
    assert starts == [RangeStart(len(data), 2, 1)]
    assert records == []


def test_one_part_is_the_whole_data():
    assert ranged_read(b"name\nA\nB\n", 1)[0] == [RangeStart(5, 2, 1)]


def test_a_range_starts_at_or_after_its_exact_share():
    data = b"h\na\na\nb"  # records at 2, 4 and 6; half of the 5 data bytes ends at 4.5
    assert [start.offset for start in ranged_read(data, 2)[0]] == [2, 6]


def _ranges_of_generated(rows: int, parts: int) -> Iterator[RangeStart]:
    data = b"".join([GeneratedCsv.HEADER, *(GeneratedCsv.LINE % (row, row) for row in range(rows))])
    stream = io.BytesIO(data)
    header = read_header(stream)
    yield from split_offsets(stream, header, len(data), parts)


def test_ranges_split_a_larger_file_evenly_at_record_starts():
    line_size = len(GeneratedCsv.LINE % (0, 0))
    starts = list(_ranges_of_generated(10_000, 4))
    assert len(starts) == 4
    for start in starts:
        assert (start.offset - len(GeneratedCsv.HEADER)) % line_size == 0  # at a record start, never inside "a\nb"
        assert start.row == (start.offset - len(GeneratedCsv.HEADER)) // line_size + 1
        assert start.line == 2 * start.row
    sizes = [later.offset - earlier.offset for earlier, later in itertools.pairwise(starts)]
    assert max(sizes) - min(sizes) <= line_size
