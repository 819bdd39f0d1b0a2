//! The EL0 test manifest (`tests/el0/manifest.txt`; its grammar is written
//! at the top of that file): what each test program must do, parsed and
//! checked, and the verdict on how a program ended measured against it.
//!
//! Every initrd carries the manifest as its first file ([`FILE_NAME`]); the
//! runner judges each program by its line. The module uses `core` only and
//! allocates nothing: `tests/el0/build.rs` compiles the same file to check
//! the manifest against `src/bin` when the programs are built, so the
//! grammar has one parser.
//!
//! The fault kind of a kill is the kernel's own: every kill names its
//! [`FaultKind`] where it is made (a kill of no kind the manifest names has
//! none, and no expectation matches it).

use core::fmt;

/// The name of the manifest inside an initrd.
pub const FILE_NAME: &str = "manifest.txt";

/// The access that page-faulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Execute,
}

/// Why a page fault could not be resolved (other than lack of memory, which
/// is [`FaultKind::OutOfMemory`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Unmapped,
    Permission,
    BeyondVmo,
}

/// Why the kernel killed a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// `page-fault/ACCESS/CAUSE`, e.g. `page-fault/read/unmapped`.
    PageFault(Access, Cause),
    /// A page fault the kernel had no page (or no bookkeeping) for.
    OutOfMemory,
    /// Data, PC or SP alignment.
    Alignment,
    Undefined,
    Breakpoint,
    TimeLimit,
    /// A wait no other thread can ever end.
    BlockedForever,
    SError,
}

const ACCESSES: &[(&str, Access)] = &[
    ("read", Access::Read),
    ("write", Access::Write),
    ("execute", Access::Execute),
];

const CAUSES: &[(&str, Cause)] = &[
    ("unmapped", Cause::Unmapped),
    ("permission", Cause::Permission),
    ("beyond-vmo", Cause::BeyondVmo),
];

const OTHER_KINDS: &[(&str, FaultKind)] = &[
    ("out-of-memory", FaultKind::OutOfMemory),
    ("alignment", FaultKind::Alignment),
    ("undefined", FaultKind::Undefined),
    ("breakpoint", FaultKind::Breakpoint),
    ("time-limit", FaultKind::TimeLimit),
    ("blocked-forever", FaultKind::BlockedForever),
    ("serror", FaultKind::SError),
];

fn lookup<T: Copy>(table: &[(&str, T)], key: &str) -> Option<T> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

fn name_of<T: Copy + PartialEq>(table: &[(&'static str, T)], value: T) -> &'static str {
    table
        .iter()
        .find(|(_, v)| *v == value)
        .map_or("?", |(k, _)| k)
}

impl FaultKind {
    /// Parses a kind as the manifest writes it (`page-fault/read/unmapped`,
    /// `undefined`, ...).
    pub fn parse(s: &str) -> Option<Self> {
        if let Some(rest) = s.strip_prefix("page-fault/") {
            let (access, cause) = rest.split_once('/')?;
            return Some(Self::PageFault(
                lookup(ACCESSES, access)?,
                lookup(CAUSES, cause)?,
            ));
        }
        lookup(OTHER_KINDS, s)
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::PageFault(a, c) => write!(
                f,
                "page-fault/{}/{}",
                name_of(ACCESSES, a),
                name_of(CAUSES, c)
            ),
            other => f.write_str(name_of(OTHER_KINDS, other)),
        }
    }
}

/// What a program must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Exit with status 0.
    Pass,
    /// Be killed by the kernel, for this reason.
    Killed(FaultKind),
    /// A benchmark (scripts/bench.sh): never in the suite; exits with 0.
    Bench,
}

/// One program's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Program<'a> {
    pub name: &'a str,
    pub expect: Expect,
    /// The boot it runs in instead of the suite's, if any.
    pub boot: Option<&'a str>,
}

/// A `boot` line: a boot of its own for the programs that name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Boot<'a> {
    pub name: &'a str,
    /// Guest RAM (`128M`, `2G`), if not the default.
    pub mem: Option<&'a str>,
    /// The `arg=` options, in order, unparsed.
    options: &'a str,
}

impl<'a> Boot<'a> {
    /// The kernel boot arguments of this boot, in order.
    pub fn args(&self) -> impl Iterator<Item = &'a str> {
        self.options
            .split_ascii_whitespace()
            .filter_map(|o| o.strip_prefix("arg="))
    }
}

/// What is wrong with a manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind<'a> {
    NotUtf8,
    BadName(&'a str),
    MissingExpectation(&'a str),
    UnknownExpectation(&'a str),
    UnknownFaultKind(&'a str),
    UnknownOption(&'a str),
    RepeatedOption(&'a str),
    BadSize(&'a str),
    EmptyArg,
    /// A benchmark with a `boot=`: scripts/bench.sh boots benchmarks itself.
    BenchWithBoot(&'a str),
    DuplicateProgram(&'a str),
    DuplicateBoot(&'a str),
    UndeclaredBoot(&'a str),
    UnusedBoot(&'a str),
}

/// An [`ErrorKind`] at a line (counted from 1; 0 for the whole file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error<'a> {
    pub line: usize,
    pub kind: ErrorKind<'a>,
}

impl fmt::Display for Error<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}: ", FILE_NAME, self.line)?;
        match self.kind {
            ErrorKind::NotUtf8 => f.write_str("not UTF-8"),
            ErrorKind::BadName(n) => {
                write!(f, "bad name '{n}' (want [a-z0-9_]+, boots [a-z0-9-]+)")
            }
            ErrorKind::MissingExpectation(n) => write!(f, "'{n}' has no expectation"),
            ErrorKind::UnknownExpectation(e) => {
                write!(
                    f,
                    "unknown expectation '{e}' (want pass, killed:KIND or bench)"
                )
            }
            ErrorKind::UnknownFaultKind(k) => write!(f, "unknown fault kind '{k}'"),
            ErrorKind::UnknownOption(o) => write!(f, "unknown option '{o}'"),
            ErrorKind::RepeatedOption(o) => write!(f, "option '{o}' given twice"),
            ErrorKind::BadSize(s) => write!(f, "bad memory size '{s}' (want digits and M or G)"),
            ErrorKind::EmptyArg => f.write_str("empty arg="),
            ErrorKind::BenchWithBoot(n) => {
                write!(f, "benchmark '{n}' has a boot= (scripts/bench.sh boots it)")
            }
            ErrorKind::DuplicateProgram(n) => write!(f, "program '{n}' listed twice"),
            ErrorKind::DuplicateBoot(n) => write!(f, "boot '{n}' declared twice"),
            ErrorKind::UndeclaredBoot(n) => write!(f, "boot '{n}' is not declared"),
            ErrorKind::UnusedBoot(n) => write!(f, "boot '{n}' is used by no program"),
        }
    }
}

/// A parsed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line<'a> {
    Program(Program<'a>),
    Boot(Boot<'a>),
}

impl<'a> Line<'a> {
    /// What must be unique: a program's name among programs, a boot's
    /// among boots.
    fn key(&self) -> (bool, &'a str) {
        match self {
            Self::Program(p) => (false, p.name),
            Self::Boot(b) => (true, b.name),
        }
    }
}

fn valid_name(s: &str, extra: u8) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == extra)
}

fn valid_size(s: &str) -> bool {
    match s.as_bytes().split_last() {
        Some((unit, digits)) => {
            !digits.is_empty()
                && digits.iter().all(u8::is_ascii_digit)
                && matches!(unit, b'M' | b'G')
        }
        None => false,
    }
}

fn parse_expect(s: &str) -> Result<Expect, ErrorKind<'_>> {
    match s {
        "pass" => Ok(Expect::Pass),
        "bench" => Ok(Expect::Bench),
        _ => match s.strip_prefix("killed:") {
            Some(k) => FaultKind::parse(k)
                .map(Expect::Killed)
                .ok_or(ErrorKind::UnknownFaultKind(k)),
            None => Err(ErrorKind::UnknownExpectation(s)),
        },
    }
}

/// Parses one line; None for a blank or comment line.
fn parse_line(raw: &str) -> Option<Result<Line<'_>, ErrorKind<'_>>> {
    let text = raw.split_once('#').map_or(raw, |(t, _)| t).trim();
    let (first, rest) = text
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((text, ""));
    if first.is_empty() {
        return None;
    }
    Some(if first == "boot" {
        parse_boot(rest.trim())
    } else {
        parse_program(first, rest.trim())
    })
}

fn parse_boot(text: &str) -> Result<Line<'_>, ErrorKind<'_>> {
    let (name, options) = text
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((text, ""));
    if !valid_name(name, b'-') {
        return Err(ErrorKind::BadName(name));
    }
    let mut mem = None;
    for option in options.split_ascii_whitespace() {
        if let Some(size) = option.strip_prefix("mem=") {
            if mem.is_some() {
                return Err(ErrorKind::RepeatedOption("mem"));
            }
            if !valid_size(size) {
                return Err(ErrorKind::BadSize(size));
            }
            mem = Some(size);
        } else if let Some(arg) = option.strip_prefix("arg=") {
            if arg.is_empty() {
                return Err(ErrorKind::EmptyArg);
            }
        } else {
            return Err(ErrorKind::UnknownOption(option));
        }
    }
    Ok(Line::Boot(Boot { name, mem, options }))
}

fn parse_program<'a>(name: &'a str, rest: &'a str) -> Result<Line<'a>, ErrorKind<'a>> {
    if !valid_name(name, b'_') {
        return Err(ErrorKind::BadName(name));
    }
    let mut words = rest.split_ascii_whitespace();
    let expect = parse_expect(words.next().ok_or(ErrorKind::MissingExpectation(name))?)?;
    let mut boot = None;
    for option in words {
        let Some(b) = option.strip_prefix("boot=") else {
            return Err(ErrorKind::UnknownOption(option));
        };
        if boot.is_some() {
            return Err(ErrorKind::RepeatedOption("boot"));
        }
        if !valid_name(b, b'-') {
            return Err(ErrorKind::BadName(b));
        }
        boot = Some(b);
    }
    if expect == Expect::Bench && boot.is_some() {
        return Err(ErrorKind::BenchWithBoot(name));
    }
    Ok(Line::Program(Program { name, expect, boot }))
}

/// A manifest whose every line parsed and whose boots and programs are
/// consistent.
#[derive(Debug, Clone, Copy)]
pub struct Manifest<'a> {
    text: &'a str,
}

impl<'a> Manifest<'a> {
    /// Parses and checks a whole manifest: every line, no program or boot
    /// twice, every `boot=` declared and every boot used.
    pub fn parse(text: &'a str) -> Result<Self, Error<'a>> {
        let lines = || {
            text.lines()
                .enumerate()
                .filter_map(|(i, l)| Some((i + 1, parse_line(l)?)))
        };
        for (line, parsed) in lines() {
            let parsed = parsed.map_err(|kind| Error { line, kind })?;
            // Quadratic, and fine: a manifest has tens of lines, read once.
            let twice = lines()
                .take_while(|(l, _)| *l < line)
                .filter_map(|(_, p)| p.ok())
                .any(|earlier| earlier.key() == parsed.key());
            if twice {
                let kind = match parsed {
                    Line::Program(p) => ErrorKind::DuplicateProgram(p.name),
                    Line::Boot(b) => ErrorKind::DuplicateBoot(b.name),
                };
                return Err(Error { line, kind });
            }
        }
        let manifest = Self { text };
        for (line, parsed) in lines() {
            match parsed {
                Ok(Line::Program(Program { boot: Some(b), .. })) if manifest.boot(b).is_none() => {
                    return Err(Error {
                        line,
                        kind: ErrorKind::UndeclaredBoot(b),
                    });
                }
                Ok(Line::Boot(b)) if !manifest.programs().any(|p| p.boot == Some(b.name)) => {
                    return Err(Error {
                        line,
                        kind: ErrorKind::UnusedBoot(b.name),
                    });
                }
                _ => {}
            }
        }
        Ok(manifest)
    }

    /// Parses the manifest file's bytes.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, Error<'a>> {
        let text = core::str::from_utf8(bytes).map_err(|_| Error {
            line: 0,
            kind: ErrorKind::NotUtf8,
        })?;
        Self::parse(text)
    }

    fn lines(&self) -> impl Iterator<Item = Line<'a>> {
        self.text
            .lines()
            .filter_map(parse_line)
            .filter_map(Result::ok)
    }

    /// Every program, in manifest order.
    pub fn programs(&self) -> impl Iterator<Item = Program<'a>> {
        self.lines().filter_map(|l| match l {
            Line::Program(p) => Some(p),
            Line::Boot(_) => None,
        })
    }

    /// Every boot, in manifest order.
    pub fn boots(&self) -> impl Iterator<Item = Boot<'a>> {
        self.lines().filter_map(|l| match l {
            Line::Boot(b) => Some(b),
            Line::Program(_) => None,
        })
    }

    /// The line of the program `name`.
    pub fn program(&self, name: &str) -> Option<Program<'a>> {
        self.programs().find(|p| p.name == name)
    }

    /// The boot `name`.
    pub fn boot(&self, name: &str) -> Option<Boot<'a>> {
        self.boots().find(|b| b.name == name)
    }
}

/// How a program ended, as far as the verdict is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending<'r> {
    Exited(i64),
    /// Killed, with the kind the kernel gave the kill (None: a fault of no
    /// kind the manifest names) and the report.
    Killed(Option<FaultKind>, &'r str),
}

/// A program's ending measured against its expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict<'r> {
    Passed,
    KilledAsExpected(FaultKind, &'r str),
    /// Nonzero status where 0 was expected.
    ExitCode(i64),
    /// Exited where a kill of this kind was expected.
    NotKilled(i64, FaultKind),
    /// Killed where an exit was expected.
    Killed(&'r str),
    /// Killed, but not for the expected reason.
    WrongKill {
        expected: FaultKind,
        got: Option<FaultKind>,
        report: &'r str,
    },
}

impl Verdict<'_> {
    pub fn passed(&self) -> bool {
        matches!(self, Self::Passed | Self::KilledAsExpected(..))
    }
}

/// Judges an ending against an expectation: an exit passes only with status
/// 0 where an exit is expected, a kill only where a kill of that very kind
/// is expected.
pub fn judge(expect: Expect, ending: Ending<'_>) -> Verdict<'_> {
    match (expect, ending) {
        (Expect::Pass | Expect::Bench, Ending::Exited(0)) => Verdict::Passed,
        (Expect::Pass | Expect::Bench, Ending::Exited(code)) => Verdict::ExitCode(code),
        (Expect::Pass | Expect::Bench, Ending::Killed(_, report)) => Verdict::Killed(report),
        (Expect::Killed(kind), Ending::Exited(code)) => Verdict::NotKilled(code, kind),
        (Expect::Killed(expected), Ending::Killed(kind, report)) => match kind {
            Some(got) if got == expected => Verdict::KilledAsExpected(got, report),
            got => Verdict::WrongKill {
                expected,
                got,
                report,
            },
        },
    }
}

impl fmt::Display for Verdict<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Passed => f.write_str("ok"),
            Self::KilledAsExpected(kind, report) => {
                write!(f, "ok (killed as expected, {kind}: {report})")
            }
            Self::ExitCode(code) => write!(f, "FAILED (exit code {code})"),
            Self::NotKilled(code, kind) => {
                write!(
                    f,
                    "FAILED (exit code {code}, expected to be killed, {kind})"
                )
            }
            Self::Killed(report) => write!(f, "FAILED (killed: {report})"),
            Self::WrongKill {
                expected,
                got: Some(got),
                report,
            } => write!(f, "FAILED (killed, {got}: {report}; expected {expected})"),
            Self::WrongKill {
                expected,
                got: None,
                report,
            } => write!(
                f,
                "FAILED (killed, of no known kind: {report}; expected {expected})"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest<'_>, Error<'_>> {
        Manifest::parse(text)
    }

    fn err(text: &str) -> (usize, ErrorKind<'_>) {
        let e = parse(text).expect_err("the manifest is wrong");
        (e.line, e.kind)
    }

    const SAMPLE: &str = "\
# a comment
boot low mem=128M   # trailing comment
boot quick arg=el0.time_limit=1 arg=x=y

hello            pass
null_read        killed:page-fault/read/unmapped
commit           pass boot=low
spin             killed:time-limit boot=quick
costs            bench
";

    #[test]
    fn parses_programs_in_order_with_expectations_and_boots() {
        let m = parse(SAMPLE).unwrap();
        let names: Vec<_> = m.programs().map(|p| p.name).collect();
        assert_eq!(names, ["hello", "null_read", "commit", "spin", "costs"]);
        assert_eq!(m.program("hello").unwrap().expect, Expect::Pass);
        assert_eq!(
            m.program("null_read").unwrap().expect,
            Expect::Killed(FaultKind::PageFault(Access::Read, Cause::Unmapped))
        );
        assert_eq!(m.program("commit").unwrap().boot, Some("low"));
        assert_eq!(m.program("costs").unwrap().expect, Expect::Bench);
        assert_eq!(m.program("hello").unwrap().boot, None);
        assert_eq!(m.program("nope"), None);
        let low = m.boot("low").unwrap();
        assert_eq!(low.mem, Some("128M"));
        assert_eq!(low.args().count(), 0);
        let quick = m.boot("quick").unwrap();
        assert_eq!(quick.mem, None);
        assert_eq!(
            quick.args().collect::<Vec<_>>(),
            ["el0.time_limit=1", "x=y"]
        );
        assert_eq!(m.boots().count(), 2);
    }

    #[test]
    fn an_empty_manifest_is_valid_and_lists_nothing() {
        let m = parse("# nothing\n\n").unwrap();
        assert_eq!(m.programs().count(), 0);
    }

    #[test]
    fn every_kind_round_trips_through_its_name() {
        let mut all = Vec::new();
        for &(_, a) in ACCESSES {
            for &(_, c) in CAUSES {
                all.push(FaultKind::PageFault(a, c));
            }
        }
        all.extend(OTHER_KINDS.iter().map(|(_, k)| *k));
        for k in all {
            let name = format!("{k}");
            assert_eq!(FaultKind::parse(&name), Some(k), "{name}");
        }
    }

    #[test]
    fn unknown_kinds_do_not_parse() {
        for s in [
            "",
            "page-fault",
            "page-fault/read",
            "page-fault/read/",
            "page-fault/poke/unmapped",
            "page-fault/read/unmapped/x",
            "Undefined",
            "?",
        ] {
            assert_eq!(FaultKind::parse(s), None, "{s}");
        }
    }

    #[test]
    fn bad_lines_are_reported_with_their_line_number() {
        use ErrorKind::*;
        assert_eq!(err("hello\n"), (1, MissingExpectation("hello")));
        assert_eq!(err("\nhello passes\n"), (2, UnknownExpectation("passes")));
        assert_eq!(
            err("a killed:page-fault/read\n"),
            (1, UnknownFaultKind("page-fault/read"))
        );
        assert_eq!(err("a killed:\n"), (1, UnknownFaultKind("")));
        assert_eq!(err("Hello pass\n"), (1, BadName("Hello")));
        assert_eq!(err("a-b pass\n"), (1, BadName("a-b")));
        assert_eq!(err("a pass mem=1G\n"), (1, UnknownOption("mem=1G")));
        assert_eq!(
            err("a pass boot=b boot=b\nboot b\n"),
            (1, RepeatedOption("boot"))
        );
        assert_eq!(err("a pass boot=B_\n"), (1, BadName("B_")));
        assert_eq!(err("boot b mem=128\n"), (1, BadSize("128")));
        assert_eq!(err("boot b mem=M\n"), (1, BadSize("M")));
        assert_eq!(err("boot b mem=1T\n"), (1, BadSize("1T")));
        assert_eq!(err("boot b mem=1\u{e9}\n"), (1, BadSize("1\u{e9}")));
        assert_eq!(err("boot b mem=\n"), (1, BadSize("")));
        assert_eq!(err("boot b mem=1G mem=2G\n"), (1, RepeatedOption("mem")));
        assert_eq!(err("boot b arg=\n"), (1, EmptyArg));
        assert_eq!(err("boot b time=1\n"), (1, UnknownOption("time=1")));
        assert_eq!(err("boot\n"), (1, BadName("")));
        assert_eq!(err("boot b_c\n"), (1, BadName("b_c")));
        assert_eq!(err("x bench boot=b\nboot b\n"), (1, BenchWithBoot("x")));
    }

    #[test]
    fn whole_file_rules() {
        use ErrorKind::*;
        assert_eq!(err("a pass\nb pass\na bench\n"), (3, DuplicateProgram("a")));
        assert_eq!(
            err("boot b\na pass boot=b\nboot b\n"),
            (3, DuplicateBoot("b"))
        );
        assert_eq!(err("a pass boot=missing\n"), (1, UndeclaredBoot("missing")));
        assert_eq!(
            err("a pass\nboot lonely mem=1G\n"),
            (2, UnusedBoot("lonely"))
        );
        // A boot may be declared after the programs that use it.
        assert!(parse("a pass boot=b\nboot b mem=1G\n").is_ok());
        // A program named like a boot is still a program.
        assert!(parse("b pass boot=b\nboot b\n").is_ok());
        assert_eq!(
            Manifest::from_bytes(b"a pass\n\xff\n").unwrap_err().kind,
            NotUtf8
        );
    }

    #[test]
    fn errors_print_the_file_and_line() {
        let e = parse("a pass\nb pas\n").unwrap_err();
        assert_eq!(
            format!("{e}"),
            "manifest.txt line 2: unknown expectation 'pas' (want pass, killed:KIND or bench)"
        );
    }

    #[test]
    fn a_kill_passes_only_with_the_expected_kind() {
        let null = FaultKind::PageFault(Access::Read, Cause::Unmapped);
        let report = "page fault: read at 0x0, unmapped address";
        let v = judge(Expect::Killed(null), Ending::Killed(Some(null), report));
        assert!(v.passed());
        assert_eq!(
            format!("{v}"),
            "ok (killed as expected, page-fault/read/unmapped: page fault: read at 0x0, unmapped address)"
        );
        // Same access, other cause; other access; other kind entirely.
        for expected in [
            FaultKind::PageFault(Access::Read, Cause::Permission),
            FaultKind::PageFault(Access::Write, Cause::Unmapped),
            FaultKind::Undefined,
            FaultKind::OutOfMemory,
        ] {
            let v = judge(Expect::Killed(expected), Ending::Killed(Some(null), report));
            assert!(!v.passed(), "{expected}");
            assert_eq!(
                format!("{v}"),
                format!("FAILED (killed, page-fault/read/unmapped: {report}; expected {expected})")
            );
        }
        let v = judge(
            Expect::Killed(FaultKind::Undefined),
            Ending::Killed(None, "unexpected exception, ESR 0x0"),
        );
        assert!(!v.passed());
        assert_eq!(
            format!("{v}"),
            "FAILED (killed, of no known kind: unexpected exception, ESR 0x0; expected undefined)"
        );
    }

    #[test]
    fn an_expected_kill_that_does_not_happen_fails() {
        for code in [0, 1, -1] {
            let v = judge(Expect::Killed(FaultKind::Breakpoint), Ending::Exited(code));
            assert!(!v.passed());
            assert_eq!(
                format!("{v}"),
                format!("FAILED (exit code {code}, expected to be killed, breakpoint)")
            );
        }
    }

    #[test]
    fn exits_pass_only_with_status_zero_and_kills_fail_them() {
        for expect in [Expect::Pass, Expect::Bench] {
            let v = judge(expect, Ending::Exited(0));
            assert!(v.passed());
            assert_eq!(format!("{v}"), "ok");
            let v = judge(expect, Ending::Exited(101));
            assert!(!v.passed());
            assert_eq!(format!("{v}"), "FAILED (exit code 101)");
            let v = judge(
                expect,
                Ending::Killed(Some(FaultKind::Undefined), "undefined instruction"),
            );
            assert!(!v.passed());
            assert_eq!(format!("{v}"), "FAILED (killed: undefined instruction)");
        }
    }
}
