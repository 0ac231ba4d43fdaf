//! Lodestone Rust SDK — sugar over the guest ABI v1 (docs/ABI.md is the contract). No dependencies.
//!
//! Build your function as a `cdylib` for `wasm32-unknown-unknown` and export its entry points with
//! `#[no_mangle] pub extern "C"`:
//!
//! ```ignore
//! #[no_mangle]
//! pub extern "C" fn main() -> i64 {                     // WASM.CALL hits KEYS k ARGS 5
//!     lodestone::call_int!("INCRBY", lodestone::key(0), lodestone::arg_int(0))
//! }
//! ```
//!
//! What is here:
//!
//! - input: [`key_count`] [`key`] [`arg_count`] [`arg`] [`arg_str`] [`arg_int`], and [`Frame`] for
//!   ADR-0009 style `main(ptr, len)` entry points (the host writes the call frame into memory it
//!   gets from this crate's `lodestone_alloc` export);
//! - data: [`get`] [`set`] [`del`], and any command with [`call!`] / [`call_int!`] ([`call`] on a
//!   prepared argv) returning a [`Reply`];
//! - replies: [`reply_int`] [`reply_bulk`] [`reply_status`] [`reply_error`] [`reply_nil`]
//!   [`reply_array`] [`reply_raw`];
//! - other: [`log`] [`now_ms`] [`fail`], and [`json`], a small JSON reader;
//! - exports: `lodestone_alloc` and `lodestone_abi_version` (defined here, exported from your module).
//!
//! Only the host functions a module actually uses end up as imports (the linker drops the rest),
//! so a function that never writes loads with `PERMISSIONS READ`.
//!
//! Failing: [`fail`] (and the SDK's own checks: [`arg_int`] on a non-integer, [`call_int!`] on an
//! error reply) fails the whole call through `env.abort` — the client gets
//! `ERR wasm function 'f' failed: abort: <message> at <file>:<line>:<col> (guest fault)` and every
//! write of the call is rolled back. A Rust panic traps (`unreachable`) with the same rollback. To
//! answer with an error but keep the call's writes, use [`reply_error`].

pub mod json;

/// The host imports (module `lodestone`, ABI v1), for code that wants the bare ABI.
pub mod raw {
    #[link(wasm_import_module = "lodestone")]
    extern "C" {
        pub fn key_count() -> i32;
        pub fn key_len(i: i32) -> i32;
        pub fn key_read(i: i32, dst: *mut u8, cap: i32) -> i32;
        pub fn arg_count() -> i32;
        pub fn arg_len(i: i32) -> i32;
        pub fn arg_read(i: i32, dst: *mut u8, cap: i32) -> i32;
        pub fn get_key(key: *const u8, klen: i32) -> i32;
        pub fn set_key(key: *const u8, klen: i32, val: *const u8, vlen: i32) -> i32;
        pub fn del_key(key: *const u8, klen: i32) -> i32;
        pub fn call(cmd: *const u8, len: i32) -> i32;
        pub fn result_read(dst: *mut u8, cap: i32) -> i32;
        pub fn log(level: i32, msg: *const u8, len: i32);
        pub fn now_ms() -> i64;
        pub fn reply_int(v: i64);
        pub fn reply_bulk(ptr: *const u8, len: i32);
        pub fn reply_status(ptr: *const u8, len: i32);
        pub fn reply_error(ptr: *const u8, len: i32);
        pub fn reply_nil();
        pub fn reply_array(n: i32);
        pub fn reply_raw(ptr: *const u8, len: i32);
    }
    #[link(wasm_import_module = "env")]
    extern "C" {
        /// AssemblyScript's abort (docs/ABI.md "Other"): strings are UTF-16 with their byte length
        /// in the 4 bytes before the pointer. [`super::fail`] builds them.
        #[link_name = "abort"]
        pub fn env_abort(msg: *const u8, file: *const u8, line: u32, col: u32);
    }
}

// ---------------------------------------------------------------------------------------------
// Exports the host uses.

static mut FRAME: Vec<u8> = Vec::new();

/// Called by the host before a `main(ptr, len)` entry point: memory for the call frame (reused
/// from call to call, so it never leaks).
#[no_mangle]
pub extern "C" fn lodestone_alloc(size: i32) -> *mut u8 {
    unsafe {
        let frame = &mut *core::ptr::addr_of_mut!(FRAME);
        frame.clear();
        frame.reserve(size.max(0) as usize);
        frame.as_mut_ptr()
    }
}

/// The ABI version this SDK implements (checked at WASM.LOAD).
#[no_mangle]
pub extern "C" fn lodestone_abi_version() -> i32 {
    1
}

// ---------------------------------------------------------------------------------------------
// Failing

/// Fail the call with `message` (env.abort): the client gets `… failed: abort: <message> at
/// <file>:<line>:<col>` and every write of the call is rolled back.
#[track_caller]
pub fn fail(message: &str) -> ! {
    let at = core::panic::Location::caller();
    let msg = as_string(message);
    let file = as_string(at.file());
    unsafe { raw::env_abort(msg.as_ptr().add(4), file.as_ptr().add(4), at.line(), at.column()) };
    unreachable!()
}

/// An AssemblyScript string: u32 byte length, then UTF-16LE.
fn as_string(s: &str) -> Vec<u8> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut out = Vec::with_capacity(4 + units.len() * 2);
    out.extend_from_slice(&((units.len() * 2) as u32).to_le_bytes());
    for u in units {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Input

/// Number of KEYS.
pub fn key_count() -> usize {
    unsafe { raw::key_count() as usize }
}

/// Number of ARGS.
pub fn arg_count() -> usize {
    unsafe { raw::arg_count() as usize }
}

fn read_input(i: usize, len: unsafe extern "C" fn(i32) -> i32, read: unsafe extern "C" fn(i32, *mut u8, i32) -> i32) -> Option<Vec<u8>> {
    let n = unsafe { len(i as i32) };
    if n < 0 {
        return None;
    }
    let mut v = Vec::with_capacity(n as usize);
    unsafe {
        read(i as i32, v.as_mut_ptr(), n);
        v.set_len(n as usize);
    }
    Some(v)
}

/// KEYS[i] (bytes); fails the call if there is no such key.
#[track_caller]
pub fn key(i: usize) -> Vec<u8> {
    match read_input(i, raw::key_len, raw::key_read) {
        Some(v) => v,
        None => fail(&format!("KEYS[{}] is missing", i)),
    }
}

/// ARGS[i] (bytes); fails the call if there is no such argument.
#[track_caller]
pub fn arg(i: usize) -> Vec<u8> {
    match read_input(i, raw::arg_len, raw::arg_read) {
        Some(v) => v,
        None => fail(&format!("ARGS[{}] is missing", i)),
    }
}

/// ARGS[i] as text (invalid UTF-8 is replaced).
#[track_caller]
pub fn arg_str(i: usize) -> String {
    String::from_utf8_lossy(&arg(i)).into_owned()
}

/// ARGS[i] as a 64-bit integer; fails the call if it is not one.
#[track_caller]
pub fn arg_int(i: usize) -> i64 {
    let a = arg(i);
    match parse_int(&a) {
        Some(n) => n,
        None => fail(&format!("ARGS[{}] is not an integer: {}", i, String::from_utf8_lossy(&a))),
    }
}

/// A decimal integer, as Redis writes them (optional '-', digits, no spaces).
pub fn parse_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as i64)?;
    }
    Some(if neg { -v } else { v })
}

/// The call frame a `main(ptr, len)` entry point receives (docs/ABI.md, "The call frame").
pub struct Frame<'a> {
    pub keys: Vec<&'a [u8]>,
    pub args: Vec<&'a [u8]>,
}

impl<'a> Frame<'a> {
    /// Parse the frame at the entry point's `(ptr, len)`; fails the call if it is malformed.
    #[track_caller]
    pub fn parse(input: &'a [u8]) -> Frame<'a> {
        let mut at = 0usize;
        let u32_at = |at: &mut usize| -> usize {
            if *at + 4 > input.len() {
                fail("malformed call frame");
            }
            let v = u32::from_le_bytes([input[*at], input[*at + 1], input[*at + 2], input[*at + 3]]);
            *at += 4;
            v as usize
        };
        let list = |at: &mut usize| -> Vec<&'a [u8]> {
            let n = u32_at(at);
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                let len = u32_at(at);
                if *at + len > input.len() {
                    fail("malformed call frame");
                }
                out.push(&input[*at..*at + len]);
                *at += len;
            }
            out
        };
        let keys = list(&mut at);
        let args = list(&mut at);
        Frame { keys, args }
    }

    /// KEYS[i], or an empty slice.
    pub fn key(&self, i: usize) -> &'a [u8] {
        self.keys.get(i).copied().unwrap_or(&[])
    }

    /// ARGS[i], or an empty slice.
    pub fn arg(&self, i: usize) -> &'a [u8] {
        self.args.get(i).copied().unwrap_or(&[])
    }
}

// ---------------------------------------------------------------------------------------------
// Data

fn result(len: i32) -> Vec<u8> {
    let mut v = Vec::with_capacity(len.max(0) as usize);
    unsafe {
        raw::result_read(v.as_mut_ptr(), len);
        v.set_len(len.max(0) as usize);
    }
    v
}

/// GET key: the value, or None when the key does not exist. Fails the call on another type.
#[track_caller]
pub fn get(key: &[u8]) -> Option<Vec<u8>> {
    let n = unsafe { raw::get_key(key.as_ptr(), key.len() as i32) };
    match n {
        -1 => None,
        -2 => fail("WRONGTYPE get: the key holds another type"),
        _ => Some(result(n)),
    }
}

/// SET key value (needs WRITE).
pub fn set(key: &[u8], value: &[u8]) {
    unsafe { raw::set_key(key.as_ptr(), key.len() as i32, value.as_ptr(), value.len() as i32) };
}

/// DEL key (needs WRITE): true if it existed.
pub fn del(key: &[u8]) -> bool {
    unsafe { raw::del_key(key.as_ptr(), key.len() as i32) == 1 }
}

/// A command's reply, decoded from RESP2.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Int(i64),
    Status(String),
    Error(String),
    Bulk(Vec<u8>),
    Nil,
    Array(Vec<Reply>),
}

impl Reply {
    /// The integer of an integer reply (or of a bulk/status holding one).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Reply::Int(n) => Some(*n),
            Reply::Bulk(b) => parse_int(b),
            Reply::Status(s) => parse_int(s.as_bytes()),
            _ => None,
        }
    }
}

/// Anything that can be a command argument: text, bytes, integers.
pub trait ToArg {
    fn to_arg(&self) -> Vec<u8>;
}
impl ToArg for str {
    fn to_arg(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}
impl ToArg for [u8] {
    fn to_arg(&self) -> Vec<u8> {
        self.to_vec()
    }
}
impl ToArg for String {
    fn to_arg(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}
impl ToArg for Vec<u8> {
    fn to_arg(&self) -> Vec<u8> {
        self.clone()
    }
}
impl<T: ToArg + ?Sized> ToArg for &T {
    fn to_arg(&self) -> Vec<u8> {
        (**self).to_arg()
    }
}
macro_rules! int_arg {
    ($($t:ty),*) => { $(impl ToArg for $t { fn to_arg(&self) -> Vec<u8> { self.to_string().into_bytes() } })* };
}
int_arg!(i32, i64, u32, u64, usize);

/// Run one command (needs the permissions it needs); returns its reply. Command errors
/// (WRONGTYPE …) come back as `Reply::Error`.
pub fn call(argv: &[Vec<u8>]) -> Reply {
    let mut cmd = Vec::with_capacity(16 + argv.iter().map(|a| a.len() + 16).sum::<usize>());
    cmd.push(b'*');
    cmd.extend_from_slice(argv.len().to_string().as_bytes());
    cmd.extend_from_slice(b"\r\n");
    for a in argv {
        cmd.push(b'$');
        cmd.extend_from_slice(a.len().to_string().as_bytes());
        cmd.extend_from_slice(b"\r\n");
        cmd.extend_from_slice(a);
        cmd.extend_from_slice(b"\r\n");
    }
    let n = unsafe { raw::call(cmd.as_ptr(), cmd.len() as i32) };
    let bytes = result(n);
    let mut at = 0;
    decode(&bytes, &mut at)
}

/// [`call`], expecting an integer reply; fails the call otherwise (an error reply, a non-integer).
#[track_caller]
pub fn call_int(argv: &[Vec<u8>]) -> i64 {
    match call(argv) {
        Reply::Int(n) => n,
        Reply::Error(e) => fail(&e),
        other => match other.as_int() {
            Some(n) => n,
            None => fail(&format!("expected an integer reply from {}", String::from_utf8_lossy(&argv[0]))),
        },
    }
}

/// `call!("INCR", key)`: run a command; arguments may be &str, String, bytes or integers.
#[macro_export]
macro_rules! call {
    ($($a:expr),+ $(,)?) => { $crate::call(&[$($crate::ToArg::to_arg(&$a)),+]) };
}

/// `call_int!("INCR", key)`: run a command expecting an integer reply.
#[macro_export]
macro_rules! call_int {
    ($($a:expr),+ $(,)?) => { $crate::call_int(&[$($crate::ToArg::to_arg(&$a)),+]) };
}

fn line(b: &[u8], at: &mut usize) -> Vec<u8> {
    let start = *at;
    while *at + 1 < b.len() && !(b[*at] == b'\r' && b[*at + 1] == b'\n') {
        *at += 1;
    }
    let l = b[start..*at].to_vec();
    *at += 2;
    l
}

fn decode(b: &[u8], at: &mut usize) -> Reply {
    if *at >= b.len() {
        return Reply::Nil;
    }
    let t = b[*at];
    *at += 1;
    let l = line(b, at);
    match t {
        b':' => Reply::Int(parse_int(&l).unwrap_or(0)),
        b'+' => Reply::Status(String::from_utf8_lossy(&l).into_owned()),
        b'-' => Reply::Error(String::from_utf8_lossy(&l).into_owned()),
        b'$' => match parse_int(&l) {
            Some(n) if n >= 0 => {
                let n = n as usize;
                let v = b[*at..(*at + n).min(b.len())].to_vec();
                *at += n + 2;
                Reply::Bulk(v)
            }
            _ => Reply::Nil,
        },
        b'*' => match parse_int(&l) {
            Some(n) if n >= 0 => Reply::Array((0..n).map(|_| decode(b, at)).collect()),
            _ => Reply::Nil,
        },
        _ => Reply::Nil,
    }
}

// ---------------------------------------------------------------------------------------------
// Replies (if an entry point calls none, its integer result is the reply)

pub fn reply_int(v: i64) {
    unsafe { raw::reply_int(v) }
}
pub fn reply_bulk(v: &[u8]) {
    unsafe { raw::reply_bulk(v.as_ptr(), v.len() as i32) }
}
pub fn reply_status(s: &str) {
    unsafe { raw::reply_status(s.as_ptr(), s.len() as i32) }
}
/// An error reply (`ERR ` is prepended unless the text starts with an upper-case code). The call
/// still succeeds: its writes stay.
pub fn reply_error(s: &str) {
    unsafe { raw::reply_error(s.as_ptr(), s.len() as i32) }
}
pub fn reply_nil() {
    unsafe { raw::reply_nil() }
}
/// An array of `n` elements: the next `n` reply_* calls fill it.
pub fn reply_array(n: usize) {
    unsafe { raw::reply_array(n as i32) }
}
/// One complete RESP reply, passed through.
pub fn reply_raw(resp: &[u8]) {
    unsafe { raw::reply_raw(resp.as_ptr(), resp.len() as i32) }
}

// ---------------------------------------------------------------------------------------------
// Other

/// Write to the server log: level 0 debug, 1 info, 2 warn, 3 error.
pub fn log(level: i32, msg: &str) {
    unsafe { raw::log(level, msg.as_ptr(), msg.len() as i32) }
}

/// Server time, milliseconds since the epoch.
pub fn now_ms() -> i64 {
    unsafe { raw::now_ms() }
}
