//! Byte-exact mirrors of the records in `c/leastcap_events.h`, and their decoders.
//!
//! The BPF program writes these records; user space receives them as bytes (ring-buffer
//! items, map keys). They are decoded field by field with `from_ne_bytes` at the offsets of
//! the `#[repr(C)]` structs, so no `unsafe` is needed. A test compiles the C header and checks
//! every size and offset against these structs.

use std::mem::{offset_of, size_of};

/// `LC_F_INIT_USERNS`: the target user namespace is the initial one.
pub const F_INIT_USERNS: u32 = 1 << 0;
/// `LC_F_OPTS_VALID`: `opts` carries the kernel's `CAP_OPT_*` flags.
pub const F_OPTS_VALID: u32 = 1 << 1;
/// `LC_F_SYSCALL_VALID`: `syscall_nr` was read from the task's registers.
pub const F_SYSCALL_VALID: u32 = 1 << 2;

/// `LC_BACKEND_*` values of [`RawEvent::backend`].
pub const BACKEND_FEXIT: u8 = 1;
pub const BACKEND_TP_BTF: u8 = 2;
pub const BACKEND_TRACEPOINT: u8 = 3;
pub const BACKEND_KPROBE: u8 = 4;
pub const BACKEND_RAW_TP: u8 = 5;

/// `CAP_OPT_NOAUDIT` (include/linux/security.h).
pub const CAP_OPT_NOAUDIT: u32 = 1 << 1;
/// `CAP_OPT_INSETID`.
pub const CAP_OPT_INSETID: u32 = 1 << 2;

/// Indexes of the per-CPU counter array `lc_counters`.
pub const CNT_MATCHED: u32 = 0;
pub const CNT_LOST: u32 = 1;
pub const CNT_AGG_FULL: u32 = 2;
pub const CNT_STACK_ERR: u32 = 3;
pub const CNT_MAX: u32 = 4;

/// Values of the `lc_targets` map.
pub const TARGET_ARMED: u8 = 1;
pub const TARGET_ACTIVE: u8 = 2;

/// `struct lc_event`: one capability check.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RawEvent {
    pub time_ns: u64,
    pub pid: u32,
    pub tid: u32,
    pub cap: i32,
    pub ret: i32,
    pub syscall_nr: i32,
    pub stack_id: i32,
    pub opts: u32,
    pub flags: u32,
    pub userns_inum: u32,
    pub userns_level: u16,
    pub backend: u8,
    pub pad: u8,
    pub comm: [u8; 16],
}

/// `struct lc_agg_key`: the key of the aggregate map (its value is a `u64` count).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RawAggKey {
    pub pid: u32,
    pub cap: i32,
    pub ret: i32,
    pub syscall_nr: i32,
    pub stack_id: i32,
    /// `F_INIT_USERNS | F_SYSCALL_VALID`, plus the `CAP_OPT_*` flags shifted left by 16.
    pub flags: u32,
    /// Nesting level of the target user namespace (0 = initial).
    pub userns_level: u32,
}

/// Size of `struct lc_event`.
pub const EVENT_SIZE: usize = size_of::<RawEvent>();
/// Size of `struct lc_agg_key`.
pub const AGG_KEY_SIZE: usize = size_of::<RawAggKey>();

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_ne_bytes(b)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_ne_bytes(b)
}

fn i32_at(bytes: &[u8], at: usize) -> i32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    i32::from_ne_bytes(b)
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    let mut b = [0u8; 2];
    b.copy_from_slice(&bytes[at..at + 2]);
    u16::from_ne_bytes(b)
}

impl RawEvent {
    /// Decodes a record; `None` when `bytes` is shorter than the record.
    pub fn from_bytes(bytes: &[u8]) -> Option<RawEvent> {
        if bytes.len() < EVENT_SIZE {
            return None;
        }
        let mut comm = [0u8; 16];
        comm.copy_from_slice(&bytes[offset_of!(RawEvent, comm)..offset_of!(RawEvent, comm) + 16]);
        Some(RawEvent {
            time_ns: u64_at(bytes, offset_of!(RawEvent, time_ns)),
            pid: u32_at(bytes, offset_of!(RawEvent, pid)),
            tid: u32_at(bytes, offset_of!(RawEvent, tid)),
            cap: i32_at(bytes, offset_of!(RawEvent, cap)),
            ret: i32_at(bytes, offset_of!(RawEvent, ret)),
            syscall_nr: i32_at(bytes, offset_of!(RawEvent, syscall_nr)),
            stack_id: i32_at(bytes, offset_of!(RawEvent, stack_id)),
            opts: u32_at(bytes, offset_of!(RawEvent, opts)),
            flags: u32_at(bytes, offset_of!(RawEvent, flags)),
            userns_inum: u32_at(bytes, offset_of!(RawEvent, userns_inum)),
            userns_level: u16_at(bytes, offset_of!(RawEvent, userns_level)),
            backend: bytes[offset_of!(RawEvent, backend)],
            pad: bytes[offset_of!(RawEvent, pad)],
            comm,
        })
    }

    /// Encodes the record as the BPF program would write it (tests and replay).
    pub fn to_bytes(&self) -> [u8; EVENT_SIZE] {
        let mut out = [0u8; EVENT_SIZE];
        let mut put = |at: usize, b: &[u8]| out[at..at + b.len()].copy_from_slice(b);
        put(offset_of!(RawEvent, time_ns), &self.time_ns.to_ne_bytes());
        put(offset_of!(RawEvent, pid), &self.pid.to_ne_bytes());
        put(offset_of!(RawEvent, tid), &self.tid.to_ne_bytes());
        put(offset_of!(RawEvent, cap), &self.cap.to_ne_bytes());
        put(offset_of!(RawEvent, ret), &self.ret.to_ne_bytes());
        put(
            offset_of!(RawEvent, syscall_nr),
            &self.syscall_nr.to_ne_bytes(),
        );
        put(offset_of!(RawEvent, stack_id), &self.stack_id.to_ne_bytes());
        put(offset_of!(RawEvent, opts), &self.opts.to_ne_bytes());
        put(offset_of!(RawEvent, flags), &self.flags.to_ne_bytes());
        put(
            offset_of!(RawEvent, userns_inum),
            &self.userns_inum.to_ne_bytes(),
        );
        put(
            offset_of!(RawEvent, userns_level),
            &self.userns_level.to_ne_bytes(),
        );
        put(offset_of!(RawEvent, backend), &[self.backend]);
        put(offset_of!(RawEvent, pad), &[self.pad]);
        put(offset_of!(RawEvent, comm), &self.comm);
        out
    }
}

impl RawAggKey {
    /// Decodes a key; `None` when `bytes` is shorter than the key.
    pub fn from_bytes(bytes: &[u8]) -> Option<RawAggKey> {
        if bytes.len() < AGG_KEY_SIZE {
            return None;
        }
        Some(RawAggKey {
            pid: u32_at(bytes, offset_of!(RawAggKey, pid)),
            cap: i32_at(bytes, offset_of!(RawAggKey, cap)),
            ret: i32_at(bytes, offset_of!(RawAggKey, ret)),
            syscall_nr: i32_at(bytes, offset_of!(RawAggKey, syscall_nr)),
            stack_id: i32_at(bytes, offset_of!(RawAggKey, stack_id)),
            flags: u32_at(bytes, offset_of!(RawAggKey, flags)),
            userns_level: u32_at(bytes, offset_of!(RawAggKey, userns_level)),
        })
    }

    /// Encodes the key.
    pub fn to_bytes(&self) -> [u8; AGG_KEY_SIZE] {
        let mut out = [0u8; AGG_KEY_SIZE];
        let mut put = |at: usize, b: &[u8]| out[at..at + b.len()].copy_from_slice(b);
        put(offset_of!(RawAggKey, pid), &self.pid.to_ne_bytes());
        put(offset_of!(RawAggKey, cap), &self.cap.to_ne_bytes());
        put(offset_of!(RawAggKey, ret), &self.ret.to_ne_bytes());
        put(
            offset_of!(RawAggKey, syscall_nr),
            &self.syscall_nr.to_ne_bytes(),
        );
        put(
            offset_of!(RawAggKey, stack_id),
            &self.stack_id.to_ne_bytes(),
        );
        put(offset_of!(RawAggKey, flags), &self.flags.to_ne_bytes());
        put(
            offset_of!(RawAggKey, userns_level),
            &self.userns_level.to_ne_bytes(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_round_trips_through_bytes() {
        let event = RawEvent {
            time_ns: 0x0102_0304_0506_0708,
            pid: 41,
            tid: 42,
            cap: 13,
            ret: -1,
            syscall_nr: 41,
            stack_id: -2,
            opts: CAP_OPT_NOAUDIT,
            flags: F_INIT_USERNS | F_SYSCALL_VALID,
            userns_inum: 0xEFFF_FFFD,
            userns_level: 3,
            backend: BACKEND_TP_BTF,
            pad: 0,
            comm: *b"ping\0\0\0\0\0\0\0\0\0\0\0\0",
        };
        assert_eq!(RawEvent::from_bytes(&event.to_bytes()), Some(event));
        assert_eq!(RawEvent::from_bytes(&[0u8; EVENT_SIZE - 1]), None);
    }

    #[test]
    fn agg_key_round_trips_through_bytes() {
        let key = RawAggKey {
            pid: 7,
            cap: 21,
            ret: 0,
            syscall_nr: 12,
            stack_id: 99,
            flags: F_INIT_USERNS | (CAP_OPT_NOAUDIT << 16),
            userns_level: 0,
        };
        assert_eq!(RawAggKey::from_bytes(&key.to_bytes()), Some(key));
    }
}
