//! Reading a spreadsheet's CSV as it really arrives: UTF-8 with or without
//! a byte-order mark, UTF-16 (Excel's "Unicode text"), or Windows-1252
//! (Excel's plain CSV on Windows); comma, semicolon, tab or pipe between
//! cells; quoted cells with line breaks. The file is read as a stream, so
//! its size does not matter to memory.
use std::{
    fs::File,
    io::{self, BufReader, Read},
    path::Path,
};

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;

/// What a file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    pub encoding: &'static Encoding,
    pub delimiter: u8,
}

/// Bytes looked at to find the delimiter and UTF-16 without a mark.
const SAMPLE: usize = 64 * 1024;
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Finds the encoding and the delimiter of the file at `path`.
pub fn sniff(path: &Path) -> io::Result<Format> {
    let mut sample = Vec::with_capacity(SAMPLE);
    File::open(path)?
        .take(SAMPLE as u64)
        .read_to_end(&mut sample)?;
    let encoding = match Encoding::for_bom(&sample) {
        Some((encoding, _)) => encoding,
        None => match utf16_without_mark(&sample) {
            Some(encoding) => encoding,
            None if is_utf8(path)? => UTF_8,
            None => WINDOWS_1252,
        },
    };
    let mut text = String::new();
    decoder(File::open(path)?, encoding)
        .take(SAMPLE as u64)
        .read_to_string(&mut text)
        .or_else(|err| {
            // The sample may end inside a character: what was read is enough.
            if err.kind() == io::ErrorKind::InvalidData {
                Ok(0)
            } else {
                Err(err)
            }
        })?;
    Ok(Format {
        encoding,
        delimiter: delimiter(&text),
    })
}

/// A reader of the file's records, decoded to UTF-8.
pub fn records(path: &Path, format: Format) -> io::Result<csv::Reader<impl Read>> {
    let file = BufReader::with_capacity(256 * 1024, File::open(path)?);
    Ok(csv::ReaderBuilder::new()
        .delimiter(format.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(decoder(file, format.encoding)))
}

fn decoder<R: Read>(reader: R, encoding: &'static Encoding) -> impl Read {
    DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .strip_bom(true)
        // Checked to be UTF-8 already: passed through untouched.
        .utf8_passthru(encoding == UTF_8)
        .build(reader)
}

/// UTF-16 without a byte-order mark: text whose every other byte is zero.
fn utf16_without_mark(sample: &[u8]) -> Option<&'static Encoding> {
    let pairs = sample.len() / 2;
    if pairs < 4 {
        return None;
    }
    let zeros = |offset: usize| {
        sample
            .chunks_exact(2)
            .filter(|pair| pair[offset] == 0)
            .count()
    };
    if zeros(1) * 10 >= pairs * 9 {
        Some(UTF_16LE)
    } else if zeros(0) * 10 >= pairs * 9 {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Whether the whole file is valid UTF-8 (read in blocks; a character may
/// straddle two).
fn is_utf8(path: &Path) -> io::Result<bool> {
    let mut file = File::open(path)?;
    let mut block = vec![0u8; 256 * 1024];
    let mut carried = 0;
    loop {
        let read = file.read(&mut block[carried..])?;
        let filled = carried + read;
        if read == 0 {
            return Ok(carried == 0);
        }
        match std::str::from_utf8(&block[..filled]) {
            Ok(_) => carried = 0,
            Err(err) if err.error_len().is_none() => {
                let valid = err.valid_up_to();
                block.copy_within(valid..filled, 0);
                carried = filled - valid;
            }
            Err(_) => return Ok(false),
        }
    }
}

/// The delimiter that splits the sample's first lines into the same number
/// of cells, most of them; a comma when nothing does better.
fn delimiter(sample: &str) -> u8 {
    let mut best = (b',', 0usize, 0usize);
    for candidate in DELIMITERS {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(candidate)
            .has_headers(false)
            .flexible(true)
            .from_reader(sample.as_bytes());
        let widths: Vec<usize> = reader
            .records()
            .take(20)
            .map_while(Result::ok)
            .map(|r| r.len())
            .collect();
        let Some(&header) = widths.first() else {
            continue;
        };
        if header < 2 {
            continue;
        }
        // The last line of a sample may be cut short: it does not count.
        let checked = &widths[..widths.len().saturating_sub(1).max(1)];
        let agreeing = checked.iter().filter(|&&w| w == header).count();
        if (agreeing, header) > (best.1, best.2) {
            best = (candidate, agreeing, header);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn read_all(bytes: &[u8]) -> (Format, Vec<Vec<String>>) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        let format = sniff(file.path()).unwrap();
        let rows = records(file.path(), format)
            .unwrap()
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        (format, rows)
    }

    #[test]
    fn utf8_with_a_mark_semicolons_and_a_quoted_line_break_are_read() {
        let (format, rows) =
            read_all("\u{feff}Name;City\n\"Zoë\";\"Malmö\nSkåne\"\nBo;Oslo\n".as_bytes());
        assert_eq!(format.encoding, UTF_8);
        assert_eq!(format.delimiter, b';');
        assert_eq!(
            rows[0],
            ["Name", "City"],
            "the mark is not part of the header"
        );
        assert_eq!(rows[1], ["Zoë", "Malmö\nSkåne"]);
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn windows_1252_is_recognised_by_its_invalid_utf8() {
        // "Café,Zürich" in Windows-1252.
        let bytes = b"Name,City\nCaf\xe9,Z\xfcrich\n";
        let (format, rows) = read_all(bytes);
        assert_eq!(format.encoding, WINDOWS_1252);
        assert_eq!(rows[1], ["Café", "Zürich"]);
    }

    #[test]
    fn utf16_with_or_without_a_mark_and_tabs_is_read() {
        let text = "Name\tCity\nJosé\tSão Paulo\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut marked = vec![0xFF, 0xFE];
        marked.extend(&le);
        for bytes in [marked, le] {
            let (format, rows) = read_all(&bytes);
            assert_eq!(format.encoding, UTF_16LE);
            assert_eq!(format.delimiter, b'\t');
            assert_eq!(rows[1], ["José", "São Paulo"]);
        }
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(read_all(&be).0.encoding, UTF_16BE);
    }

    #[test]
    fn the_delimiter_is_the_one_that_splits_lines_evenly() {
        assert_eq!(delimiter("a,b;c\n1,2;3\n4,5;6\n"), b',');
        assert_eq!(delimiter("a;b;c\n\"1,5\";2;3\n4;5;6\n"), b';');
        assert_eq!(delimiter("a|b\n1|2\n"), b'|');
        assert_eq!(delimiter("single\nx\n"), b',');
    }
}
