"""CSV files read and written record by record (RFC 4180, UTF-8), in bounded memory (API.md §6).

A record is found on the bytes: a quote opens a quoted field only at the start
of a field, `""` inside one is a literal quote, and a line feed outside quotes
ends the record (a carriage return before it belongs to the terminator). The
header's own line end decides the file's: a lone carriage return there (old
spreadsheet exports) makes carriage returns, not line feeds, end the records.
Quote, delimiter and line ends are ASCII, so this works on undecoded UTF-8 and
each record is decoded on its own: one bad record never stops the file. The
same scanner finds record starts for splitting a file into byte ranges, so
ranges read separately give exactly the records of one sequential read.

Exports prefix a cell that a spreadsheet would run as a formula with `'`
(escape_cell); imports undo exactly that (unescape_cell).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0", "'")
DELIMITERS = (",", ";", "\t")  # in order of preference when the header has as many of each
DEFAULT_MAX_RECORD_BYTES = 1_048_576
CHUNK_SIZE = 65_536

_BOM = b"\xef\xbb\xbf"
_QUOTE = ord('"')
_LF = ord("\n")
_CR = ord("\r")
LF, CR = "\n", "\r"  # a file's record terminator (LF also covers CRLF)

# Scanner states: where the next byte falls within the current record.
_FIELD_START, _UNQUOTED, _QUOTED, _AFTER_QUOTE = range(4)


# --- formula escaping --------------------------------------------------------------


def escape_cell(value: str) -> str:
    """The cell as exported: prefixed with `'` when a spreadsheet would take it for a formula."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def unescape_cell(value: str) -> str:
    """The cell as imported: one leading `'` dropped when it protects a trigger, so escaped exports round-trip."""
    if value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


# --- writing -------------------------------------------------------------------------


def _quoted_if_needed(cell: str) -> str:
    if any(char in cell for char in ',;\t"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def csv_line(cells: Iterable[str], *, escape: bool = True) -> str:
    """One RFC 4180 record ending in CRLF; cells holding a delimiter, quote or line break are quoted."""
    values = [escape_cell(cell) if escape else cell for cell in cells]
    if values == [""]:
        # A lone empty cell would be a blank line, which readers skip.
        return '""\r\n'
    return ",".join(_quoted_if_needed(value) for value in values) + "\r\n"


# --- results -----------------------------------------------------------------------


class HeaderError(Exception):
    """The file can't be imported at all (its header is missing, unreadable or unusable)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Header:
    names: list[str]  # header cells, stripped of surrounding whitespace
    delimiter: str
    data_offset: int  # byte offset of the first data record
    next_line: int  # file line of the first data record
    newline: str = LF  # what ends a record: LF (LF or CRLF files) or CR (CR-only files)


@dataclass(frozen=True)
class RecordError:
    code: str  # invalid_encoding | unterminated_quote | record_too_long | malformed_record
    message: str


@dataclass(frozen=True)
class Record:
    row: int  # 1-based data row (header and blank lines not counted)
    line: int  # 1-based file line where the record starts
    cells: list[str]  # as in the file: not trimmed, not unescaped; [] when error is set
    start_offset: int
    end_offset: int  # just after the record's line terminator
    error: RecordError | None = None


@dataclass(frozen=True)
class RangeStart:
    """Where one byte range of the data starts, and the numbering its first record continues from."""

    offset: int
    line: int
    row: int


# --- scanning bytes into records -------------------------------------------------------


def _boundary_pattern(delimiter: bytes, line_ends: bytes) -> re.Pattern[bytes]:
    # In unquoted text only a line end (record end) or a delimiter followed by a quote (a quoted field) matters.
    return re.compile(b"[" + line_ends + b"]|" + re.escape(delimiter) + b'"')


def _advance(data: bytes, pos: int, state: int, delimiter: int, boundary: re.Pattern[bytes]) -> tuple[int, int, bool]:
    """Scan `data` from `pos` in `state` to the end of the current record or of `data`.

    Returns the position reached, the state there, and whether a record ended just before it.
    """
    size = len(data)
    while pos < size:
        if state == _QUOTED:
            quote = data.find(b'"', pos)
            if quote < 0:
                return size, _QUOTED, False
            pos, state = quote + 1, _AFTER_QUOTE
        elif state in (_FIELD_START, _AFTER_QUOTE) and data[pos] == _QUOTE:
            # Opens a quoted field, or is the second quote of an escaped "".
            pos, state = pos + 1, _QUOTED
        else:
            match = boundary.search(data, pos)
            if match is None:
                return size, (_FIELD_START if data[-1] == delimiter else _UNQUOTED), False
            if data[match.start()] != delimiter:  # a line end
                return match.end(), _FIELD_START, True
            pos, state = match.end(), _QUOTED
    return size, state, False


@dataclass(slots=True)
class _RawRecord:
    start: int
    end: int
    content: bytes | None  # without the line terminator; None once longer than the limit
    newlines: int  # line ends in the record, its terminator included
    unterminated: bool = False

    @property
    def blank(self) -> bool:
        return self.content == b""


def _without_terminator(data: bytes, newline: bytes = b"\n") -> bytes:
    if newline == b"\n" and data.endswith(b"\n"):
        data = data[:-1]
    return data[:-1] if data.endswith(b"\r") else data


def _content_within(data: bytes, limit: int, newline: bytes) -> bytes | None:
    content = _without_terminator(data, newline)
    return content if len(content) <= limit else None


def _seek(stream: BinaryIO, offset: int) -> None:
    if stream.seekable():
        stream.seek(offset)


def _read_chunks(stream: BinaryIO, first: bytes = b"") -> Iterator[bytes]:
    if first:
        yield first
    while chunk := stream.read(CHUNK_SIZE):
        yield chunk


@dataclass(slots=True)
class _Pending:
    """A record spanning chunks: its bytes are kept only while it is within the limit."""

    start: int
    limit: int
    newline: bytes
    pieces: list[bytes] = field(default_factory=list)
    size: int = 0
    newlines: int = 0

    def add(self, piece: bytes) -> None:
        self.size += len(piece)
        self.newlines += piece.count(self.newline)
        if self.size <= self.limit + 2:  # room for CRLF
            self.pieces.append(piece)
        else:
            self.pieces.clear()

    def finish(self, *, unterminated: bool = False) -> _RawRecord:
        content = (
            _content_within(b"".join(self.pieces), self.limit, self.newline) if self.size <= self.limit + 2 else None
        )
        return _RawRecord(self.start, self.start + self.size, content, self.newlines, unterminated)


def _raw_records(
    chunks: Iterable[bytes], delimiter: str, offset: int, limit: int, newline: str = LF
) -> Iterator[_RawRecord]:
    """Every record from `offset` (a record start) to the end, in file order."""
    delimiter_byte, newline_byte = delimiter.encode(), newline.encode()
    boundary = _boundary_pattern(delimiter_byte, newline_byte)
    state = _FIELD_START
    pending = _Pending(offset, limit, newline_byte)
    for chunk in chunks:
        pos = 0
        while pos < len(chunk):
            stop, state, ended = _advance(chunk, pos, state, delimiter_byte[0], boundary)
            if ended and not pending.size:  # the usual case: the whole record is in this chunk
                data = chunk[pos:stop]
                yield _RawRecord(
                    pending.start,
                    pending.start + len(data),
                    _content_within(data, limit, newline_byte),
                    data.count(newline_byte),
                )
                pending.start += len(data)
            else:
                pending.add(chunk[pos:stop])
                if ended:
                    yield pending.finish()
                    pending = _Pending(pending.start + pending.size, limit, newline_byte)
            pos = stop
    if pending.size:
        yield pending.finish(unterminated=state == _QUOTED)


# --- parsing a record's text into cells ------------------------------------------------


def _quoted_cell(text: str, pos: int) -> tuple[str, int, bool]:
    """The quoted cell whose opening quote is just before `pos`: (value, position after it, closed)."""
    parts = []
    while True:
        quote = text.find('"', pos)
        if quote < 0:
            parts.append(text[pos:])
            return "".join(parts), len(text), False
        parts.append(text[pos:quote])
        if not text.startswith('"', quote + 1):
            return "".join(parts), quote + 1, True
        parts.append('"')
        pos = quote + 2


def _parse_cells(text: str, delimiter: str) -> tuple[list[str], bool]:
    """The record's cells and whether it is well-formed (malformed parts are kept as literal text)."""
    cells: list[str] = []
    well_formed = True
    pos = 0
    while True:
        if text.startswith('"', pos):
            value, pos, closed = _quoted_cell(text, pos + 1)
            end = text.find(delimiter, pos)
            end = len(text) if end < 0 else end
            if not closed or end > pos:  # text after the closing quote
                well_formed = False
                value += text[pos:end]
        else:
            end = text.find(delimiter, pos)
            end = len(text) if end < 0 else end
            value = text[pos:end]
        cells.append(value)
        if end >= len(text):
            return cells, well_formed
        pos = end + 1


def _split_cells(text: str, delimiter: str) -> tuple[list[str], bool]:
    """_parse_cells, sped up: a record without quotes is a plain split; one with quotes goes to the csv module.

    The csv module (strict) parses a record exactly like _parse_cells whenever it accepts it and the text does
    not end in a line break (it would drop an unquoted trailing CR); everything else takes the slow path.
    Its field size limit is left alone: a longer field raises csv.Error and takes the slow path too.
    """
    if '"' not in text:
        return text.split(delimiter), True
    if not text.endswith(("\r", "\n")):
        try:
            rows = list(csv.reader([text], delimiter=delimiter, strict=True))
        except csv.Error:
            pass  # malformed, or a lone CR in an unquoted field, or a huge field: _parse_cells decides
        else:
            if len(rows) == 1:
                return rows[0], True
    return _parse_cells(text, delimiter)


# --- the header ------------------------------------------------------------------------


@dataclass
class _HeaderReading:
    """One candidate delimiter's reading of the header line, advanced as bytes arrive.

    The first line end outside quotes ends the header and tells the file's line ends: a line
    feed (or CRLF) for LF files, a carriage return followed by anything else for CR-only files.
    """

    delimiter: str
    pos: int = 0
    state: int = _FIELD_START
    end: int | None = None  # just after the header's terminator, once found
    newline: str = LF
    cr_at_end: bool = False  # a carriage return ended the bytes so far: the next byte tells CRLF from CR

    def advance(self, data: bytes) -> None:
        boundary = _boundary_pattern(self.delimiter.encode(), b"\r\n")
        while self.end is None and self.pos < len(data):
            self.pos, self.state, ended = _advance(data, self.pos, self.state, ord(self.delimiter), boundary)
            if not ended:
                continue
            if data[self.pos - 1] == _CR:
                if self.pos == len(data):
                    self.pos -= 1  # read it again once the next byte is there
                    self.cr_at_end = True
                    return
                if data[self.pos] == _LF:
                    self.pos += 1
                else:
                    self.newline = CR
            self.end = self.pos

    def finish_at_eof(self, size: int) -> None:
        """The file ended: a header without a line terminator ends there (one with an open quote never does)."""
        if self.end is None and self.state != _QUOTED:
            self.end = size
            self.newline = CR if self.cr_at_end else LF


def _read_at_least(stream: BinaryIO, count: int) -> bytes:
    data = b""
    while len(data) < count and (chunk := stream.read(CHUNK_SIZE)):
        data += chunk
    return data


def _header_region(chunks: Iterator[bytes], limit: int) -> tuple[bytes, list[_HeaderReading], bool]:
    """Bytes until every reading found the header's end (or past the limit); the readings; whether EOF was hit."""
    readings = [_HeaderReading(delimiter) for delimiter in DELIMITERS]
    data = b""
    while True:
        for reading in readings:
            reading.advance(data)
        if all(reading.end is not None for reading in readings) or len(data) > limit + 2:
            return data, readings, False
        chunk = next(chunks, b"")
        if not chunk:
            return data, readings, True
        data += chunk


def _fields_in(content: bytes, delimiter: str) -> int:
    return len(_split_cells(content.decode("utf-8", "surrogateescape"), delimiter)[0])


def _first_line(data: bytes) -> bytes:
    """The bytes before the first line end, quotes or not."""
    return re.split(b"[\r\n]", data, maxsplit=1)[0]


def _choose_reading(data: bytes, readings: list[_HeaderReading], at_eof: bool, limit: int) -> _HeaderReading:
    """The reading whose header line ends properly with the most fields (the delimiter occurring most often).

    A reading whose quote never closes is a header with an unclosed quote when it would have had more fields
    than any reading that ends (`name,"code` is two fields with an open quote, not one field named `name,"code`).
    """
    if at_eof:
        for reading in readings:
            reading.finish_at_eof(len(data))
    complete = [
        r
        for r in readings
        if r.end is not None and len(_without_terminator(data[: r.end], r.newline.encode())) <= limit
    ]
    unclosed = [reading for reading in readings if reading.end is None and reading.state == _QUOTED]
    counts = [_fields_in(_without_terminator(data[: r.end or 0], r.newline.encode()), r.delimiter) for r in complete]
    most = max(counts, default=0)
    if not complete or any(_fields_in(_first_line(data), r.delimiter) > most for r in unclosed):
        if unclosed and len(data) <= limit:
            raise HeaderError("malformed_header", "the header has a quote that is never closed")
        raise HeaderError("header_too_long", f"the header line is longer than {limit} bytes")
    return complete[counts.index(most)]


def read_header(stream: BinaryIO, *, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> Header:
    """The header record of a file whose stream is at byte 0; raises HeaderError when there is none to use.

    A seekable stream is left at data_offset; a non-seekable one has been read past it (the header is read
    in chunks), so its records must be read from a new stream that starts at data_offset.
    """
    head = _read_at_least(stream, len(_BOM))
    bom = len(_BOM) if head.startswith(_BOM) else 0
    data, readings, at_eof = _header_region(_read_chunks(stream, head[bom:]), max_record_bytes)
    if not data:
        raise HeaderError("empty_file", "the file is empty")
    reading = _choose_reading(data, readings, at_eof, max_record_bytes)
    newline = reading.newline.encode()
    content = _without_terminator(data[: reading.end], newline)
    if not content:
        raise HeaderError("no_header", "the first line is blank; it must be the header")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HeaderError(
            "undecodable_header", f"the header is not UTF-8 text (bad byte at offset {bom + error.start})"
        ) from None
    cells, well_formed = _split_cells(text, reading.delimiter)
    if not well_formed:
        raise HeaderError("malformed_header", "the header has text after a closing quote")
    header = Header(
        names=[cell.strip() for cell in cells],
        delimiter=reading.delimiter,
        data_offset=bom + (reading.end or 0),
        next_line=2 + content.count(newline),
        newline=reading.newline,
    )
    _seek(stream, header.data_offset)
    return header


# --- data records ------------------------------------------------------------------------


def _record_error(raw: _RawRecord, limit: int) -> RecordError | None:
    if raw.unterminated:
        return RecordError("unterminated_quote", "a quoted field is never closed before the end of the file")
    if raw.content is None:
        return RecordError("record_too_long", f"the record is longer than {limit} bytes")
    return None


def _record(raw: _RawRecord, row: int, line: int, delimiter: str, limit: int) -> Record:
    error = _record_error(raw, limit)
    if error is None and raw.content is not None:
        try:
            text = raw.content.decode("utf-8")
        except UnicodeDecodeError as problem:
            offset = raw.start + problem.start
            error = RecordError("invalid_encoding", f"the record is not valid UTF-8 (bad byte at offset {offset})")
        else:
            cells, well_formed = _split_cells(text, delimiter)
            if well_formed:
                return Record(row, line, cells, raw.start, raw.end)
            error = RecordError("malformed_record", 'a quoted field has text after its closing quote (write "" for ")')
    return Record(row, line, [], raw.start, raw.end, error)


def read_records(
    stream: BinaryIO,
    header: Header,
    *,
    start_offset: int,
    first_row: int,
    first_line: int,
    end_offset: int | None = None,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> Iterator[Record]:
    """The non-blank records starting in [start_offset, end_offset), numbered on from first_row and first_line.

    `start_offset` must be a record start (header.data_offset or a RangeStart offset); a record that starts
    before `end_offset` is read to its end. A bad record comes with its error and reading goes on, except
    after an unclosed quote, which runs to the end of the file.
    """
    _seek(stream, start_offset)
    row, line = first_row, first_line
    for raw in _raw_records(_read_chunks(stream), header.delimiter, start_offset, max_record_bytes, header.newline):
        if end_offset is not None and raw.start >= end_offset:
            return
        if not raw.blank:
            yield _record(raw, row, line, header.delimiter, max_record_bytes)
            row += 1
        line += raw.newlines


def _range_targets(data_offset: int, size: int, parts: int) -> list[int]:
    span = size - data_offset
    return [data_offset + -(-part * span // parts) for part in range(1, parts)]  # ceiling division


def split_offsets(stream: BinaryIO, header: Header, size: int, parts: int) -> list[RangeStart]:
    """Starts of up to `parts` byte ranges of the data, each at the first record start at or after its share.

    The first range starts at header.data_offset; range k runs to the next one's offset (the last to the end
    of the file). Passing a RangeStart's offset, row and line to read_records as start_offset, first_row and
    first_line (and the next offset as end_offset) gives exactly the records a whole-file read gives there.
    The whole data is scanned once, in chunks, keeping no record.
    """
    starts = [RangeStart(header.data_offset, header.next_line, 1)]
    targets = _range_targets(header.data_offset, size, parts)
    if not targets:
        return starts
    _seek(stream, header.data_offset)
    row, line = 1, header.next_line
    # A limit of 0 keeps no bytes of any record, yet still tells blank records (empty content) from the others.
    for raw in _raw_records(_read_chunks(stream), header.delimiter, header.data_offset, 0, header.newline):
        while targets and raw.start >= targets[0]:
            targets.pop(0)
            if raw.start != starts[-1].offset:
                starts.append(RangeStart(raw.start, line, row))
        if not targets:
            break
        row += 0 if raw.blank else 1
        line += raw.newlines
    return starts
