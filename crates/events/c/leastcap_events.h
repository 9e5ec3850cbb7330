/* SPDX-License-Identifier: Apache-2.0 OR MIT */
/*
 * leastcap: records shared by the BPF capability tracer (crates/bpf/bpf/capable.bpf.c)
 * and its Rust mirror (crates/events/src/raw.rs). Changing a field here means changing the
 * Rust side too: `cargo test -p leastcap-events` compiles this header with `cc` and compares
 * every size and offset with the Rust structs.
 *
 * Only fixed-width types, explicit padding, little-endian/native byte order.
 */
#ifndef LEASTCAP_EVENTS_H
#define LEASTCAP_EVENTS_H

/* Fixed-width types without libc headers, so the file builds for -target bpf too. */
typedef unsigned char lc_u8;
typedef unsigned short lc_u16;
typedef unsigned int lc_u32;
typedef int lc_s32;
typedef unsigned long long lc_u64;

/* lc_event.flags */
#define LC_F_INIT_USERNS   (1u << 0) /* target user namespace is the initial one (level 0) */
#define LC_F_OPTS_VALID    (1u << 1) /* opts carries the CAP_OPT_* flags (fexit, kprobe) */
#define LC_F_SYSCALL_VALID (1u << 2) /* syscall_nr read from the task's pt_regs */

/* lc_event.backend */
#define LC_BACKEND_FEXIT      1
#define LC_BACKEND_TP_BTF     2
#define LC_BACKEND_TRACEPOINT 3
#define LC_BACKEND_KPROBE     4
#define LC_BACKEND_RAW_TP     5

/* CAP_OPT_* (include/linux/security.h, 5.1+) */
#define LC_CAP_OPT_NOAUDIT (1u << 1)
#define LC_CAP_OPT_INSETID (1u << 2)

/* Index in the per-CPU counter array lc_counters. */
#define LC_CNT_MATCHED   0 /* checks made by the target */
#define LC_CNT_LOST      1 /* ring buffer full: event dropped */
#define LC_CNT_AGG_FULL  2 /* aggregate map full: check not counted */
#define LC_CNT_STACK_ERR 3 /* stack wanted but bpf_get_stackid failed */
#define LC_CNT_MAX       4

/* One capability check, as written to the ring buffer lc_events. 64 bytes. */
struct lc_event {
	lc_u64 time_ns;      /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	lc_u32 pid;          /* thread-group id */
	lc_u32 tid;          /* thread id */
	lc_s32 cap;          /* capability number */
	lc_s32 ret;          /* 0 = granted, -EPERM = denied (commoncap verdict) */
	lc_s32 syscall_nr;   /* pt_regs orig_ax; -1 outside a syscall */
	lc_s32 stack_id;     /* key in lc_stacks, or -errno when no stack was taken */
	lc_u32 opts;         /* CAP_OPT_* when LC_F_OPTS_VALID */
	lc_u32 flags;        /* LC_F_* */
	lc_u32 userns_inum;  /* target user namespace's inode number (ns.inum) */
	lc_u16 userns_level; /* target user namespace's nesting level; 0 = initial */
	lc_u8 backend;       /* LC_BACKEND_* */
	lc_u8 _pad;
	char comm[16];
};

/* Key of the aggregate map lc_agg (value: lc_u64 count). 28 bytes. */
struct lc_agg_key {
	lc_u32 pid;
	lc_s32 cap;
	lc_s32 ret;
	lc_s32 syscall_nr;
	lc_s32 stack_id;
	lc_u32 flags; /* LC_F_INIT_USERNS | LC_F_SYSCALL_VALID, plus opts << 16 */
	lc_u32 userns_level;
};

/* Value of the target map lc_targets (key: lc_u32 thread-group id). */
#define LC_TARGET_ARMED  1 /* tracked, but checks are recorded only after its next execve */
#define LC_TARGET_ACTIVE 2 /* tracked and recorded */

#endif
