//! Reading a spreadsheet's CSV as it really arrives: UTF-8 with or without
//! a byte-order mark, UTF-16 (Excel's "Unicode text"), or Windows-1252
//! (Excel's plain CSV on Windows); comma, semicolon, tab or pipe between
//! cells; quoted cells with line breaks. The file is read as a stream, so
//! its size does not matter to memory. What is not such text (a workbook,
//! a PDF, UTF-32, binary data) is told apart here and refused by name.
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
/// Control characters (other than tab and line breaks) in more than this
/// share of the sample's characters, and at least [`BINARY_MIN`] of them,
/// make it binary data, not a CSV file. Fewer are a text file's stray
/// characters, refused cell by cell with their row and column.
const BINARY_SHARE: f64 = 0.01;
const BINARY_MIN: usize = 8;

/// Why a file was not read as CSV.
#[derive(Debug)]
pub enum NotCsv {
    Io(io::Error),
    /// In words for the uploader.
    Refused(String),
}

impl From<io::Error> for NotCsv {
    fn from(err: io::Error) -> Self {
        NotCsv::Io(err)
    }
}

/// Files people upload by mistake, by their first bytes.
const MAGIC: [(&[u8], &str); 7] = [
    (b"PK\x03\x04", "an Excel workbook or another zip archive"),
    (b"\xD0\xCF\x11\xE0", "an Excel 97-2003 workbook"),
    (b"%PDF", "a PDF document"),
    (b"\x1F\x8B", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xFF\xD8\xFF", "a JPEG image"),
    (b"\x7FELF", "a program"),
];
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Finds the encoding and the delimiter of the file at `path`, or why it
/// is not a CSV file.
pub fn sniff(path: &Path) -> Result<Format, NotCsv> {
    let mut sample = Vec::with_capacity(SAMPLE);
    File::open(path)?
        .take(SAMPLE as u64)
        .read_to_end(&mut sample)?;
    if let Some((_, what)) = MAGIC.iter().find(|(magic, _)| sample.starts_with(magic)) {
        return Err(NotCsv::Refused(format!(
            "this is {what}, not a CSV file: save the sheet as CSV (UTF-8) and upload that"
        )));
    }
    if is_utf32(&sample) {
        return Err(NotCsv::Refused(
            "the file is UTF-32, which is not read: save it as CSV in UTF-8 (or UTF-16)".into(),
        ));
    }
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
    let chars = text.chars().count().max(1);
    let controls = text
        .chars()
        .filter(|&c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        .count();
    if controls >= BINARY_MIN && controls as f64 > BINARY_SHARE * chars as f64 {
        return Err(NotCsv::Refused(
            "the file is binary data, not text: upload a CSV file".into(),
        ));
    }
    Ok(Format {
        encoding,
        delimiter: delimiter(&text),
    })
}

/// UTF-32, by its byte-order mark or by three zero bytes in every four.
fn is_utf32(sample: &[u8]) -> bool {
    if sample.starts_with(&[0xFF, 0xFE, 0, 0]) || sample.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return true;
    }
    let quads = sample.len() / 4;
    if quads < 4 {
        return false;
    }
    let zeros = |offsets: [usize; 3]| {
        sample
            .chunks_exact(4)
            .filter(|quad| offsets.iter().all(|&i| quad[i] == 0))
            .count()
    };
    zeros([1, 2, 3]) * 10 >= quads * 9 || zeros([0, 1, 2]) * 10 >= quads * 9
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
        let format = sniff(file.path()).unwrap_or_else(|e| panic!("{e:?}"));
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

    fn refusal(bytes: &[u8]) -> String {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        match sniff(file.path()) {
            Err(NotCsv::Refused(why)) => why,
            other => panic!("read as CSV: {other:?}"),
        }
    }

    #[test]
    fn workbooks_utf32_and_binary_data_are_refused_by_name() {
        assert!(refusal(b"PK\x03\x04\x14\x00\x06\x00rest of a zip").contains("Excel workbook"));
        assert!(refusal(b"%PDF-1.7\n...").contains("PDF"));
        let text = "Name,City\nAda,London\n";
        let le: Vec<u8> = text
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        let mut marked = vec![0xFF, 0xFE, 0, 0];
        marked.extend(&le);
        assert!(refusal(&marked).contains("UTF-32"));
        assert!(refusal(&le).contains("UTF-32"));
        let be: Vec<u8> = text
            .chars()
            .flat_map(|c| (c as u32).to_be_bytes())
            .collect();
        assert!(refusal(&be).contains("UTF-32"));
        let noise: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert!(refusal(&noise).contains("binary"));
    }

    #[test]
    fn a_stray_control_character_in_one_cell_is_not_binary_data() {
        let mut csv = String::from("Name,City\n");
        for n in 0..200 {
            csv.push_str(&format!("Lead {n},Town\n"));
        }
        csv.push_str("Bad\u{0}Name,Town\n");
        let (format, rows) = read_all(csv.as_bytes());
        assert_eq!(format.delimiter, b',');
        assert_eq!(rows.last().unwrap()[0], "Bad\u{0}Name");
    }
}
