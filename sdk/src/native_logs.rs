//! Program events in transaction logs when the program runs natively.
//!
//! Compiled for SBF, `emit!` writes `Program data: <base64>` into the
//! transaction's log. Run natively, it calls the host's syscall stubs, and
//! solana-program-test's stubs leave that one at its default, a `println!`
//! on the process's stdout, so indexers and tests reading logs would see no
//! events. These stubs wrap program-test's, forward every call to them, and
//! send event data through the log collector instead, marked so that
//! [`restore_event_lines`] can give each its real `Program data:` form.
//! (`msg!` itself prints straight to stdout natively, past any stub: the
//! program's text messages stay out of the logs; its errors are in the
//! status and in the runtime's `failed: custom program error` line.)

use std::sync::Once;

use base64::prelude::{Engine, BASE64_STANDARD};
use solana_sdk::account_info::AccountInfo;
use solana_sdk::entrypoint::ProgramResult;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sysvar::program_stubs::{set_syscall_stubs, SyscallStubs};

const EVENT_MARKER: &str = "Program log: \u{1}ballast-event\u{1} ";

struct EventLogs {
    inner: Box<dyn SyscallStubs>,
}

/// Wraps the installed stubs (program-test's, once a bank has started).
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let placeholder: Box<dyn SyscallStubs> = Box::new(Nothing);
        let inner = set_syscall_stubs(placeholder);
        set_syscall_stubs(Box::new(EventLogs { inner }));
    });
}

/// Turns marked event lines back into `Program data: ...` lines.
pub fn restore_event_lines(logs: Vec<String>) -> Vec<String> {
    logs.into_iter()
        .map(|line| match line.strip_prefix(EVENT_MARKER) {
            Some(data) => format!("Program data: {data}"),
            None => line,
        })
        .collect()
}

struct Nothing;
impl SyscallStubs for Nothing {}

impl SyscallStubs for EventLogs {
    fn sol_log_data(&self, fields: &[&[u8]]) {
        let data: Vec<String> = fields.iter().map(|f| BASE64_STANDARD.encode(f)).collect();
        // The collector prefixes "Program log: ", which the marker expects.
        self.inner.sol_log(&format!("\u{1}ballast-event\u{1} {}", data.join(" ")));
    }
    fn sol_log(&self, message: &str) {
        self.inner.sol_log(message)
    }
    fn sol_log_compute_units(&self) {
        self.inner.sol_log_compute_units()
    }
    fn sol_remaining_compute_units(&self) -> u64 {
        self.inner.sol_remaining_compute_units()
    }
    fn sol_invoke_signed(&self, instruction: &Instruction, account_infos: &[AccountInfo], signers_seeds: &[&[&[u8]]]) -> ProgramResult {
        self.inner.sol_invoke_signed(instruction, account_infos, signers_seeds)
    }
    fn sol_get_sysvar(&self, sysvar_id_addr: *const u8, var_addr: *mut u8, offset: u64, length: u64) -> u64 {
        self.inner.sol_get_sysvar(sysvar_id_addr, var_addr, offset, length)
    }
    fn sol_get_clock_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_clock_sysvar(var_addr)
    }
    fn sol_get_epoch_schedule_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_epoch_schedule_sysvar(var_addr)
    }
    fn sol_get_fees_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_fees_sysvar(var_addr)
    }
    fn sol_get_rent_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_rent_sysvar(var_addr)
    }
    fn sol_get_epoch_rewards_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_epoch_rewards_sysvar(var_addr)
    }
    fn sol_get_last_restart_slot(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_last_restart_slot(var_addr)
    }
    fn sol_get_epoch_stake(&self, vote_address: *const u8) -> u64 {
        self.inner.sol_get_epoch_stake(vote_address)
    }
    unsafe fn sol_memcpy(&self, dst: *mut u8, src: *const u8, n: usize) {
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe { self.inner.sol_memcpy(dst, src, n) }
    }
    unsafe fn sol_memmove(&self, dst: *mut u8, src: *const u8, n: usize) {
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe { self.inner.sol_memmove(dst, src, n) }
    }
    unsafe fn sol_memcmp(&self, s1: *const u8, s2: *const u8, n: usize, result: *mut i32) {
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe { self.inner.sol_memcmp(s1, s2, n, result) }
    }
    unsafe fn sol_memset(&self, s: *mut u8, c: u8, n: usize) {
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe { self.inner.sol_memset(s, c, n) }
    }
    fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
        self.inner.sol_get_return_data()
    }
    fn sol_set_return_data(&self, data: &[u8]) {
        self.inner.sol_set_return_data(data)
    }
    fn sol_get_processed_sibling_instruction(&self, index: usize) -> Option<Instruction> {
        self.inner.sol_get_processed_sibling_instruction(index)
    }
    fn sol_get_stack_height(&self) -> u64 {
        self.inner.sol_get_stack_height()
    }
}
