//! The initrd format: a cpio "newc" archive (`cpio -o -H newc`). Entries
//! are yielded in archive order; directories and special files are skipped.

/// One regular file in the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    pub name: &'a str,
    pub data: &'a [u8],
}

/// Why an archive could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpioError {
    BadMagic { offset: usize },
    BadHeader { offset: usize },
    Truncated { offset: usize },
    BadName { offset: usize },
}

const HEADER_LEN: usize = 110;
const MAGIC: &[u8] = b"070701";
const TRAILER: &str = "TRAILER!!!";
const MODE_TYPE_MASK: u32 = 0o170000;
const MODE_REGULAR: u32 = 0o100000;

/// Iterates over the regular files of a newc archive.
pub struct Archive<'a> {
    bytes: &'a [u8],
    offset: usize,
    done: bool,
}

impl<'a> Archive<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            offset: 0,
            done: false,
        }
    }
}

fn hex_field(header: &[u8], index: usize) -> Option<u32> {
    let field = header.get(6 + index * 8..6 + index * 8 + 8)?;
    let s = core::str::from_utf8(field).ok()?;
    u32::from_str_radix(s, 16).ok()
}

const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

impl<'a> Iterator for Archive<'a> {
    type Item = Result<Entry<'a>, CpioError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let offset = self.offset;
            if offset >= self.bytes.len() {
                // An archive without a trailer still ends where the bytes end.
                self.done = true;
                return None;
            }
            let Some(header) = self.bytes.get(offset..offset + HEADER_LEN) else {
                self.done = true;
                return Some(Err(CpioError::Truncated { offset }));
            };
            if &header[..6] != MAGIC {
                self.done = true;
                return Some(Err(CpioError::BadMagic { offset }));
            }
            // Fields: ino mode uid gid nlink mtime filesize devmajor devminor
            // rdevmajor rdevminor namesize check.
            let (Some(mode), Some(file_size), Some(name_size)) = (
                hex_field(header, 1),
                hex_field(header, 6),
                hex_field(header, 11),
            ) else {
                self.done = true;
                return Some(Err(CpioError::BadHeader { offset }));
            };
            let name_start = offset + HEADER_LEN;
            let name_end = name_start + name_size as usize;
            let data_start = align4(name_end);
            let data_end = data_start.checked_add(file_size as usize);
            let (Some(name_bytes), Some(data_end)) =
                (self.bytes.get(name_start..name_end), data_end)
            else {
                self.done = true;
                return Some(Err(CpioError::Truncated { offset }));
            };
            let Some(data) = self.bytes.get(data_start..data_end) else {
                self.done = true;
                return Some(Err(CpioError::Truncated { offset }));
            };
            // The name is NUL-terminated and the size includes the NUL.
            let Some((&0, name)) = name_bytes.split_last() else {
                self.done = true;
                return Some(Err(CpioError::BadName { offset }));
            };
            let Ok(name) = core::str::from_utf8(name) else {
                self.done = true;
                return Some(Err(CpioError::BadName { offset }));
            };
            self.offset = align4(data_end);
            if name == TRAILER {
                self.done = true;
                return None;
            }
            if mode & MODE_TYPE_MASK == MODE_REGULAR {
                let name = name.trim_start_matches("./");
                return Some(Ok(Entry { name, data }));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn entry(out: &mut Vec<u8>, name: &str, mode: u32, data: &[u8]) {
        let fields = [
            1,
            mode,
            0,
            0,
            1,
            0,
            data.len() as u32,
            0,
            0,
            0,
            0,
            name.len() as u32 + 1,
            0,
        ];
        out.extend_from_slice(MAGIC);
        for f in fields {
            out.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }

    fn archive(files: &[(&str, u32, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, mode, data) in files {
            entry(&mut out, name, *mode, data);
        }
        entry(&mut out, TRAILER, 0, b"");
        out
    }

    #[test]
    fn yields_regular_files_in_order() {
        let a = archive(&[
            ("b_second", 0o100755, b"12345"),
            ("dir", 0o040755, b""),
            ("./a_first", 0o100644, b"xyz"),
        ]);
        let got: Vec<_> = Archive::new(&a).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            got,
            vec![
                Entry {
                    name: "b_second",
                    data: b"12345"
                },
                Entry {
                    name: "a_first",
                    data: b"xyz"
                },
            ]
        );
    }

    #[test]
    fn empty_and_trailer_only() {
        assert_eq!(Archive::new(&[]).count(), 0);
        assert_eq!(Archive::new(&archive(&[])).count(), 0);
    }

    #[test]
    fn corrupt_archives_error_without_panicking() {
        let a = archive(&[("prog", 0o100755, &[7u8; 300])]);
        for cut in 0..a.len() {
            for r in Archive::new(&a[..cut]) {
                let _ = r;
            }
        }
        let mut bad = a.clone();
        bad[0] = b'X';
        assert!(matches!(
            Archive::new(&bad).next(),
            Some(Err(CpioError::BadMagic { offset: 0 }))
        ));
        let mut bad = a.clone();
        bad[6 + 6 * 8] = b'z'; // file size field
        assert!(matches!(
            Archive::new(&bad).next(),
            Some(Err(CpioError::BadHeader { .. }))
        ));
        assert!(matches!(
            Archive::new(&a[..200]).next(),
            Some(Err(CpioError::Truncated { .. }))
        ));
    }
}
