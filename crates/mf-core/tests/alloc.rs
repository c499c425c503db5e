//! No allocation per step: a counting global allocator around the steps of a run.
//!
//! The steps run inside a rayon pool, as they do in scans: a job injected into the pool from a
//! thread outside it makes rayon's injector queue allocate one block every ~60 jobs, which is
//! rayon's bookkeeping, not the step's.

use mf_core::faer::Par;
use mf_core::{Mode, TrainConfig, Trainer, UnitKind};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Only allocations made on the thread that runs the steps are counted.
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if COUNTED.with(|c| c.get()) {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded to the system allocator with the caller's layout and pointer, which GlobalAlloc's contract makes valid for it.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded to the system allocator with the caller's layout and pointer, which GlobalAlloc's contract makes valid for it.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded to the system allocator with the caller's layout and pointer, which GlobalAlloc's contract makes valid for it.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn steps_do_not_allocate() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    for mode in [Mode::Gd, Mode::Sgd, Mode::Online, Mode::Exact] {
        for units in [UnitKind::named("rbf"), UnitKind::named("relu")] {
            if mode == Mode::Exact && units == UnitKind::named("relu") {
                continue;
            }
            let mut cfg = TrainConfig::new(units.clone(), 7, 64, 1000, 0.01, 3);
            cfg.mode = mode;
            cfg.batch = 300;
            cfg.train_size = 1000;
            cfg.test_size = 100;
            if mode == Mode::Exact {
                cfg.step_rule = Some(mf_core::config::StepRule::named("fixed"));
            }
            let per: [usize; 50] = pool.install(|| {
                let mut t = Trainer::new(cfg, Par::rayon(0)).unwrap();
                t.step_once().unwrap(); // warm-up: lazily created buffers
                let mut per = [0usize; 50];
                COUNTED.with(|c| c.set(true));
                for p in per.iter_mut() {
                    let b = ALLOCS.load(Ordering::SeqCst);
                    t.step_once().unwrap();
                    *p = ALLOCS.load(Ordering::SeqCst) - b;
                }
                COUNTED.with(|c| c.set(false));
                per
            });
            assert!(
                per.iter().all(|&a| a == 0),
                "{mode:?} {units:?}: allocations per step {per:?}"
            );
        }
    }
}
