/* SPDX-License-Identifier: Apache-2.0 OR MIT */
/*
 * The few kernel types and BPF helpers capable.bpf.c uses, written by hand instead of a
 * generated vmlinux.h. Structs carry preserve_access_index, so field offsets are CO-RE
 * relocations resolved against the running kernel's BTF at load time: only the field names
 * and types matter here, not their order or the structs' sizes.
 */
#ifndef LC_KERNEL_H
#define LC_KERNEL_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;
typedef __u32 u32;
typedef __u64 u64;

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct ns_common {
	unsigned int inum;
};

struct user_namespace {
	int level;
	struct ns_common ns;
};

typedef struct {
	int counter;
} atomic_t;

struct signal_struct {
	atomic_t live;
};

struct task_struct {
	int pid;
	int tgid;
	struct signal_struct *signal;
	char comm[16];
};

/* x86_64 */
struct pt_regs {
	unsigned long orig_ax;
};

struct cred;

#pragma clang attribute pop

/* Map definitions in the .maps section (BTF-defined maps). */
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __always_inline inline __attribute__((always_inline))

#define BPF_MAP_TYPE_HASH 1
#define BPF_MAP_TYPE_PERCPU_ARRAY 6
#define BPF_MAP_TYPE_STACK_TRACE 7
#define BPF_MAP_TYPE_RINGBUF 27

#define BPF_ANY 0
#define BPF_NOEXIST 1
#define BPF_F_NO_PREALLOC (1U << 0)
#define BPF_F_FAST_STACK_CMP (1ULL << 9)
#define BPF_RB_NO_WAKEUP (1ULL << 0)
#define BPF_RB_FORCE_WAKEUP (1ULL << 1)
#define BPF_RB_AVAIL_DATA 0

/* Helper numbers from include/uapi/linux/bpf.h (__BPF_FUNC_MAPPER). */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static __u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;
static long (*bpf_get_current_comm)(void *buf, __u32 size) = (void *)16;
static long (*bpf_get_stackid)(void *ctx, void *map, __u64 flags) = (void *)27;
static __u64 (*bpf_get_current_task)(void) = (void *)35;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)113;
static __u64 (*bpf_get_current_ancestor_cgroup_id)(int ancestor_level) = (void *)123;
static void *(*bpf_ringbuf_reserve)(void *ringbuf, __u64 size, __u64 flags) = (void *)131;
static void (*bpf_ringbuf_submit)(void *data, __u64 flags) = (void *)132;
static __u64 (*bpf_ringbuf_query)(void *ringbuf, __u64 flags) = (void *)134;
static struct task_struct *(*bpf_get_current_task_btf)(void) = (void *)158;
static long (*bpf_task_pt_regs)(struct task_struct *task) = (void *)175;

/* Read a field of a kernel struct through bpf_probe_read_kernel, with a CO-RE relocation. */
#define LC_READ(dst, src) \
	bpf_probe_read_kernel(&(dst), sizeof(dst), (const void *)__builtin_preserve_access_index(&(src)))

#endif
