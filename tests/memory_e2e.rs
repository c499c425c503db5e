//! Memory that fits the mode: `mf train` of a wide network in a sampled mode holds nothing
//! N × N (N = n(d + 1) parameters), measured by a global allocator that records the peak of
//! the bytes in use; and an exact-mode size whose N × N matrices cannot be held is refused up
//! front (exit status 2), before anything is allocated.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Peak;
static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = IN_USE.fetch_add(bytes, Ordering::SeqCst) + bytes;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded to the system allocator with the caller's layout and pointer, which GlobalAlloc's contract makes valid for it.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: forwarded to the system allocator with the caller's layout and pointer, which GlobalAlloc's contract makes valid for it.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded to the system allocator with the caller's layout and pointer, which GlobalAlloc's contract makes valid for it.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            IN_USE.fetch_sub(layout.size(), Ordering::SeqCst);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Peak = Peak;

/// The tests measure one process-wide peak: they run one at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("meanfield-mem-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// The command (n = 4096, d = 25, online, P = 1024): N = 106 496, so one N × N matrix
/// would be 90.7 GB; the run stays under 1 GB (its test set is smaller than the default
/// 100 000 points only to keep the test fast; the working set is chunked either way).
#[test]
fn a_wide_online_run_holds_nothing_n_by_n() {
    let _lock = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tmp("online");
    let out = dir.to_str().unwrap().to_string();
    let base = IN_USE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let code = mf_cli::run([
        "mf",
        "train",
        "--units",
        "rbf",
        "--dim",
        "25",
        "--width",
        "4096",
        "--mode",
        "online",
        "--batch",
        "1024",
        "--steps",
        "2",
        "--dt",
        "0.1",
        "--test-size",
        "4096",
        "--seed",
        "1",
        "--out",
        &out,
    ]);
    assert_eq!(code, 0);
    let peak = PEAK.load(Ordering::SeqCst) - base;
    assert!(
        peak < 1 << 30,
        "peak {:.1} MB over the run (one N × N matrix would be 90.7 GB)",
        peak as f64 / 1e6
    );
    // and far less than any N × N piece: O(n (d + P)) numbers
    assert!(peak < 200 << 20, "peak {:.1} MB", peak as f64 / 1e6);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["end_state"], "running");
    assert!(summary["hessian_min_eigenvalue"].is_null());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Exact mode at n = 8000, d = 25 (N = 208 000: 2 TB of matrices) is refused with exit 2
/// before anything is allocated.
#[test]
fn an_exact_size_that_cannot_be_held_is_refused_up_front() {
    let _lock = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tmp("exact");
    let base = IN_USE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let code = mf_cli::run([
        "mf",
        "train",
        "--units",
        "rbf",
        "--dim",
        "25",
        "--width",
        "8000",
        "--mode",
        "exact",
        "--step-rule",
        "implicit",
        "--time",
        "1",
        "--dt",
        "0.1",
        "--seed",
        "1",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    let peak = PEAK.load(Ordering::SeqCst) - base;
    assert!(peak < 64 << 20, "peak {:.1} MB", peak as f64 / 1e6);
    assert!(!dir.join("state.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
