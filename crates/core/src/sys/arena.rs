//! A global allocator that can put, for a while, every new allocation in one shared mapping:
//! where the root init builds the plan, which every init of the tree reads and none changes.
//!
//! Why: an init below the root is a clone of its parent without exec, and forks each process
//! it starts. A fork copies the page table entries of every resident page of private memory,
//! and the child tears them down again when it exits; held in private memory, a plan of 4,000
//! namespaces (about 5 MiB) made those copies the largest cost per namespace, growing with the
//! width of the tree. A shared mapping's entries are not copied at all (the kernel fills them
//! on a fault, `vma_needs_copy`): a clone or a fork then costs the same whatever the plan's
//! size, and each init faults in only the pages of the plan it reads (its own node).
//!
//! The arena is a bump allocator: it never frees nor reuses (what the plan's construction
//! throws away stays there, at most a few times the plan's text), and once closed it is made
//! read-only, so that nothing can change what every init shares. A reallocation of something
//! in it, after that, moves to the ordinary allocator. When the mapping cannot be made, or is
//! full, allocations go to the ordinary allocator as before: the arena only changes where the
//! memory is, never whether there is some.
use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use nix::errno::Errno;

pub struct SharedArena<A> {
    inner: A,
    /// The mapping, `[base, end)`; 0 and 0 when there is none.
    base: AtomicUsize,
    end: AtomicUsize,
    /// The next free byte (bump pointer).
    next: AtomicUsize,
    /// The start of the last allocation, which a reallocation may grow in place.
    last: AtomicUsize,
    /// New allocations come from the arena.
    open: AtomicBool,
}

impl<A> SharedArena<A> {
    pub const fn new(inner: A) -> Self {
        SharedArena {
            inner,
            base: AtomicUsize::new(0),
            end: AtomicUsize::new(0),
            next: AtomicUsize::new(0),
            last: AtomicUsize::new(0),
            open: AtomicBool::new(false),
        }
    }

    /// Maps `size` bytes (rounded up to pages; only the pages touched take memory) shared with
    /// every process forked from now on, and sends allocations there until `close`. Call it
    /// once, single-threaded.
    pub fn open(&self, size: usize) -> Result<(), Errno> {
        if self.base.load(Ordering::Relaxed) != 0 {
            return Err(Errno::EBUSY);
        }
        let size = size.checked_next_multiple_of(page_size()).ok_or(Errno::ENOMEM)?;
        // SAFETY: a fresh anonymous mapping at an address the kernel picks; nothing else refers
        // to it. MAP_NORESERVE: pages are only used as they are touched.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if addr == libc::MAP_FAILED {
            return Err(Errno::last());
        }
        let base = addr as usize;
        self.next.store(base, Ordering::Relaxed);
        self.end.store(base + size, Ordering::Relaxed);
        self.base.store(base, Ordering::Relaxed);
        self.open.store(true, Ordering::Release);
        Ok(())
    }

    /// New allocations go to the ordinary allocator again; what the arena holds becomes
    /// read-only (a write to it now is a bug, and faults), and the rest of the mapping is
    /// given back, so that `open` may reserve more than it will need.
    pub fn close(&self) {
        if !self.open.swap(false, Ordering::AcqRel) {
            return;
        }
        let base = self.base.load(Ordering::Relaxed);
        let end = self.end.load(Ordering::Relaxed);
        let used = (self.next.load(Ordering::Relaxed) - base).next_multiple_of(page_size());
        // From now on only `[base, base + used)` is the arena's: the rest may be mapped again
        // by anyone, and must not be taken for ours.
        self.end.store(base + used, Ordering::Relaxed);
        if used > 0 {
            // SAFETY: the first `used` bytes of our own mapping; nothing will write there again
            // (the arena is closed, and it frees nothing).
            unsafe { libc::mprotect(base as *mut libc::c_void, used, libc::PROT_READ) };
        }
        if end > base + used {
            // SAFETY: the unused tail of our own mapping: nothing was handed out there.
            unsafe { libc::munmap((base + used) as *mut libc::c_void, end - base - used) };
        }
    }

    fn holds(&self, ptr: *mut u8) -> bool {
        let p = ptr as usize;
        p >= self.base.load(Ordering::Relaxed) && p < self.end.load(Ordering::Relaxed)
    }

    /// A block from the arena, or None when it is closed or full.
    fn bump(&self, layout: Layout) -> Option<*mut u8> {
        if !self.open.load(Ordering::Acquire) {
            return None;
        }
        let end = self.end.load(Ordering::Relaxed);
        let mut next = self.next.load(Ordering::Relaxed);
        loop {
            let start = next.checked_next_multiple_of(layout.align())?;
            let stop = start.checked_add(layout.size().max(1))?;
            if stop > end {
                return None;
            }
            match self.next.compare_exchange_weak(next, stop, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => {
                    self.last.store(start, Ordering::Relaxed);
                    return Some(start as *mut u8);
                }
                Err(now) => next = now,
            }
        }
    }

    /// Grows or shrinks the arena's last allocation where it is, while the arena is open.
    fn resize_last(&self, ptr: *mut u8, old: usize, new_size: usize) -> bool {
        if !self.open.load(Ordering::Acquire) || self.last.load(Ordering::Relaxed) != ptr as usize {
            return false;
        }
        let Some(stop) = (ptr as usize).checked_add(new_size.max(1)) else { return false };
        if stop > self.end.load(Ordering::Relaxed) {
            return false;
        }
        let current = ptr as usize + old.max(1);
        self.next.compare_exchange(current, stop, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf reads a constant of the system.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 {
        n as usize
    } else {
        4096
    }
}

// SAFETY: every block handed out is either the inner allocator's (and goes back to it) or a
// fresh, suitably aligned range of the arena that is never handed out twice; blocks of the
// arena are never freed, and a reallocation of one copies it out instead of writing to it once
// the arena is closed (it is read-only then).
unsafe impl<A: GlobalAlloc> GlobalAlloc for SharedArena<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.bump(layout) {
            Some(p) => p,
            // SAFETY: the caller's contract, passed on.
            None => unsafe { self.inner.alloc(layout) },
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match self.bump(layout) {
            Some(p) => {
                // Zeroed as mapped, unless a shrunk last block left bytes behind: clear them.
                // SAFETY: a fresh block of the arena, `layout.size()` bytes long.
                unsafe { p.write_bytes(0, layout.size()) };
                p
            }
            // SAFETY: the caller's contract, passed on.
            None => unsafe { self.inner.alloc_zeroed(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !self.holds(ptr) {
            // SAFETY: not the arena's, so the inner allocator's, as the caller guarantees.
            unsafe { self.inner.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.holds(ptr) {
            if !self.open.load(Ordering::Acquire) {
                // SAFETY: the inner allocator's block, as the caller guarantees.
                return unsafe { self.inner.realloc(ptr, layout, new_size) };
            }
        } else if self.resize_last(ptr, layout.size(), new_size) {
            return ptr;
        }
        // Move it: into the arena while it is open, out of it once closed.
        // SAFETY: the caller guarantees new_size, with layout's alignment, is a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: as for alloc.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are valid for the smaller size and do not overlap (the new
            // one is fresh).
            unsafe { std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
            // SAFETY: ptr's block as the caller describes it (a no-op for the arena's).
            unsafe { self.dealloc(ptr, layout) };
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use std::alloc::System;

    use super::*;

    #[test]
    fn allocations_go_to_the_arena_only_while_it_is_open() {
        let arena = SharedArena::new(System);
        let layout = Layout::from_size_align(100, 8).unwrap();
        // SAFETY (test): every block is freed with its own layout.
        unsafe {
            let before = arena.alloc(layout);
            assert!(!arena.holds(before));
            arena.open(1 << 20).unwrap();
            let a = arena.alloc(layout);
            assert!(arena.holds(a) && (a as usize).is_multiple_of(8));
            a.write_bytes(7, 100);
            // The last block grows where it is; an earlier one moves.
            let grown = arena.realloc(a, layout, 200);
            assert_eq!(grown, a);
            let b = arena.alloc(layout);
            let moved = arena.realloc(grown, Layout::from_size_align(200, 8).unwrap(), 400);
            assert!(arena.holds(moved) && moved != grown && *moved.add(99) == 7);
            // Something from before moves in when it grows.
            let inside = arena.realloc(before, layout, 300);
            assert!(arena.holds(inside));
            arena.close();
            let after = arena.alloc(layout);
            assert!(!arena.holds(after));
            // Out of the closed (read-only) arena, with its bytes.
            let out = arena.realloc(moved, Layout::from_size_align(400, 8).unwrap(), 800);
            assert!(!arena.holds(out) && *out.add(50) == 7);
            out.write_bytes(1, 800);
            arena.dealloc(out, Layout::from_size_align(800, 8).unwrap());
            arena.dealloc(after, layout);
            arena.dealloc(b, layout);
            arena.dealloc(inside, Layout::from_size_align(300, 8).unwrap());
        }
    }

    #[test]
    fn a_full_arena_hands_over_to_the_inner_allocator() {
        let arena = SharedArena::new(System);
        arena.open(4096).unwrap();
        let big = Layout::from_size_align(8192, 8).unwrap();
        // SAFETY (test): freed with its layout.
        unsafe {
            let p = arena.alloc_zeroed(big);
            assert!(!p.is_null() && !arena.holds(p) && *p.add(8191) == 0);
            arena.dealloc(p, big);
        }
        arena.close();
    }
}
