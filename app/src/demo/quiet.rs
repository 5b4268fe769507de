//! The program runs natively inside the demo's bank, where its `msg!` lines
//! (an AnchorError for every refused mint, say) go to this process's stdout.
//! The demo tells those refusals itself, so it points stdout at /dev/null
//! while the bank runs and gives it back for the report.

use std::io::{self, Write};

/// Silences file descriptor 1 until dropped.
pub struct QuietStdout {
    #[cfg(unix)]
    saved: libc::c_int,
}

impl QuietStdout {
    #[cfg(unix)]
    pub fn new() -> io::Result<Self> {
        use std::os::fd::AsRawFd;
        io::stdout().flush()?;
        let null = std::fs::OpenOptions::new().write(true).open("/dev/null")?;
        // SAFETY: dup and dup2 act on this process's own descriptors, and
        // `null` stays open until dup2 has made its copy.
        let saved = unsafe { libc::dup(1) };
        if saved < 0 || unsafe { libc::dup2(null.as_raw_fd(), 1) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Self { saved })
    }

    #[cfg(not(unix))]
    pub fn new() -> io::Result<Self> {
        Ok(Self {})
    }
}

impl Drop for QuietStdout {
    fn drop(&mut self) {
        let _ = io::stdout().flush();
        // SAFETY: `saved` is the descriptor dup returned in `new`, closed only here.
        #[cfg(unix)]
        unsafe {
            libc::dup2(self.saved, 1);
            libc::close(self.saved);
        }
    }
}
