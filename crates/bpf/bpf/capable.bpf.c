// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 OR MIT
/*
 * leastcap's capability tracer: one record per cap_capable() call made by the target
 * (a process tree followed in the kernel, or a cgroup v2 subtree).
 *
 * Backends (user space loads exactly one cap_capable program, best that works first):
 *   lc_fexit_cap   fexit/cap_capable        verdict + CAP_OPT_* flags (needs BPF trampolines)
 *   lc_tpbtf_cap   tp_btf/cap_capable       Linux 6.14+ tracepoint, BTF-typed arguments
 *   lc_rawtp_cap   raw_tp/cap_capable       same tracepoint without BTF typing or tracefs
 *   lc_tp_cap      tracepoint/capability/cap_capable   classic tracepoint (needs tracefs)
 *   lc_kp_cap + lc_krp_cap   kprobe + kretprobe on cap_capable (kernels before 6.14)
 * Process-tree tracking: lc_fork/lc_exit/lc_exec, as tp_btf or raw_tp programs.
 *
 * Records and counters are defined in crates/events/c/leastcap_events.h.
 * Rebuild with crates/bpf/build-bpf.sh; the object is committed.
 */
#include "lc_kernel.h"
#include "leastcap_events.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load (.rodata). */
const volatile __u32 lc_cfg_cgroup_mode = 0;  /* 0: pid tree in lc_targets; 1: cgroup subtree */
const volatile __u64 lc_cfg_cgroup_id = 0;    /* cgroup v2 id (inode number) of the target cgroup */
const volatile __u32 lc_cfg_cgroup_level = 0; /* its depth below the cgroup2 root */
const volatile __u32 lc_cfg_events = 1;       /* lc_events records: 0 none, 1 every check,
					       * 2 only a check that creates a new lc_agg key */
const volatile __u32 lc_cfg_aggregate = 0;    /* count checks in lc_agg */
const volatile __u64 lc_cfg_stack_caps = 0;   /* take a kernel stack for caps whose bit is set */
const volatile __u64 lc_cfg_wakeup_bytes = 0; /* wake the reader only once this much is pending */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} lc_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);  /* thread-group id */
	__type(value, __u8); /* LC_TARGET_* */
} lc_targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct lc_agg_key);
	__type(value, __u64);
} lc_agg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);        /* thread-group id */
	__type(value, char[16]);   /* comm when first counted (aggregate mode) */
} lc_comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 8192);
	__uint(key_size, 4);
	__uint(value_size, 32 * 8);
} lc_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LC_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lc_counters SEC(".maps");

/* kprobe backend: arguments saved at entry, keyed by thread id, consumed by the kretprobe. */
struct lc_kp_args {
	__u64 target_ns;
	__s32 cap;
	__u32 opts;
	__s32 stack_id;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct lc_kp_args);
} lc_kp_args SEC(".maps");

static __always_inline void lc_count(__u32 index)
{
	__u64 *value = bpf_map_lookup_elem(&lc_counters, &index);
	if (value)
		*value += 1;
}

/* Is the current task part of the target? */
static __always_inline int lc_is_target(const struct task_struct *task)
{
	if (lc_cfg_cgroup_mode)
		return bpf_get_current_ancestor_cgroup_id(lc_cfg_cgroup_level) == lc_cfg_cgroup_id;
	__u32 tgid = task->tgid; /* BTF-typed (trusted) pointer: a direct load, no helper call */
	__u8 *state = bpf_map_lookup_elem(&lc_targets, &tgid);
	return state && *state == LC_TARGET_ACTIVE;
}

static __always_inline __s32 lc_stack(void *ctx, int cap)
{
	if (cap < 0 || cap > 63 || !(lc_cfg_stack_caps & (1ULL << cap)))
		return -2; /* -ENOENT: not asked for */
	long id = bpf_get_stackid(ctx, &lc_stacks, BPF_F_FAST_STACK_CMP);
	if (id < 0)
		lc_count(LC_CNT_STACK_ERR);
	return (__s32)id;
}

/* typed_ns: ns is a BTF-typed pointer (fexit, tp_btf) that can be read directly; otherwise
 * it is read through bpf_probe_read_kernel. Constant at every call site: the branch is
 * resolved at compile time. */
static __always_inline void lc_record(struct task_struct *task,
				      const struct user_namespace *ns, int typed_ns, int cap,
				      int ret, __u32 opts, __u32 flags, __u8 backend,
				      __s32 stack_id)
{
	/* task is the current task (bpf_get_current_task_btf): its fields are direct loads. */
	__u32 tgid = task->tgid;
	__u32 tid = task->pid;
	int level = 0;
	unsigned int inum = 0;
	long syscall_nr = -1;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	lc_count(LC_CNT_MATCHED);
	if (ns && typed_ns) {
		level = ns->level;
		inum = ns->ns.inum;
	} else if (ns) {
		LC_READ(level, ns->level);
		LC_READ(inum, ns->ns.inum);
	}
	if (level == 0)
		flags |= LC_F_INIT_USERNS;
	if (regs) /* BTF-typed (trusted) pointer: a direct load */
		syscall_nr = regs->orig_ax;
	if (syscall_nr >= 0)
		flags |= LC_F_SYSCALL_VALID;

	int first = 0; /* this check created a new aggregate key */
	if (lc_cfg_aggregate) {
		struct lc_agg_key key = {
			.pid = tgid,
			.cap = cap,
			.ret = ret,
			.syscall_nr = (__s32)syscall_nr,
			.stack_id = stack_id,
			.flags = (flags & (LC_F_INIT_USERNS | LC_F_SYSCALL_VALID)) | (opts << 16),
			.userns_level = (__u32)level,
		};
		__u64 *count = bpf_map_lookup_elem(&lc_agg, &key);
		if (count) {
			__sync_fetch_and_add(count, 1);
		} else {
			__u64 one = 1;
			if (bpf_map_update_elem(&lc_agg, &key, &one, BPF_NOEXIST) == 0) {
				first = 1;
			} else {
				count = bpf_map_lookup_elem(&lc_agg, &key);
				if (count)
					__sync_fetch_and_add(count, 1);
				else
					lc_count(LC_CNT_AGG_FULL);
			}
			char comm[16];
			bpf_get_current_comm(comm, sizeof(comm));
			bpf_map_update_elem(&lc_comms, &tgid, comm, BPF_NOEXIST);
		}
	}

	if (!lc_cfg_events || (lc_cfg_events == 2 && !first))
		return;
	struct lc_event *e = bpf_ringbuf_reserve(&lc_events, sizeof(*e), 0);
	if (!e) {
		lc_count(LC_CNT_LOST);
		return;
	}
	e->time_ns = bpf_ktime_get_ns();
	e->pid = tgid;
	e->tid = tid;
	e->cap = cap;
	e->ret = ret;
	e->syscall_nr = (__s32)syscall_nr;
	e->stack_id = stack_id;
	e->opts = opts;
	e->flags = flags;
	e->userns_inum = inum;
	e->userns_level = (__u16)level;
	e->backend = backend;
	e->_pad = 0;
	/* task->comm as two direct loads instead of the bpf_get_current_comm helper: the
	 * kernel keeps comm NUL-padded (__set_task_comm uses strscpy_pad), so the bytes are
	 * the helper's. */
	__builtin_memcpy(e->comm, task->comm, sizeof(e->comm));
	__u64 wake = BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_query(&lc_events, BPF_RB_AVAIL_DATA) + sizeof(*e) >= lc_cfg_wakeup_bytes)
		wake = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, wake);
}

/* ---- cap_capable backends ---- */

/* int cap_capable(const struct cred *cred, struct user_namespace *target_ns, int cap,
 *                 unsigned int opts) -- ctx[4] is the return value */
SEC("fexit/cap_capable")
int lc_fexit_cap(__u64 *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	if (!lc_is_target(task))
		return 0;
	int cap = (int)ctx[2];
	lc_record(task, (const struct user_namespace *)ctx[1], 1, cap, (int)ctx[4], (__u32)ctx[3],
		  LC_F_OPTS_VALID, LC_BACKEND_FEXIT, lc_stack(ctx, cap));
	return 0;
}

/* TP_PROTO(const struct cred *cred, struct user_namespace *target_ns,
 *          const struct user_namespace *capable_ns, int cap, int ret) */
SEC("tp_btf/cap_capable")
int lc_tpbtf_cap(__u64 *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	if (!lc_is_target(task))
		return 0;
	int cap = (int)ctx[3];
	lc_record(task, (const struct user_namespace *)ctx[1], 1, cap, (int)ctx[4], 0, 0,
		  LC_BACKEND_TP_BTF, lc_stack(ctx, cap));
	return 0;
}

SEC("raw_tp/cap_capable")
int lc_rawtp_cap(__u64 *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	if (!lc_is_target(task))
		return 0;
	int cap = (int)ctx[3];
	lc_record(task, (const struct user_namespace *)ctx[1], 0, cap, (int)ctx[4], 0, 0,
		  LC_BACKEND_RAW_TP, lc_stack(ctx, cap));
	return 0;
}

/* /sys/kernel/tracing/events/capability/cap_capable/format */
struct lc_tp_cap_capable {
	__u64 common;
	__u64 cred;
	__u64 target_ns;
	__u64 capable_ns;
	int cap;
	int ret;
};

SEC("tracepoint/capability/cap_capable")
int lc_tp_cap(struct lc_tp_cap_capable *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	if (!lc_is_target(task))
		return 0;
	int cap = ctx->cap;
	lc_record(task, (const struct user_namespace *)ctx->target_ns, 0, cap, ctx->ret, 0, 0,
		  LC_BACKEND_TRACEPOINT, lc_stack(ctx, cap));
	return 0;
}

/* x86_64 kprobe context: arguments in di, si, dx, cx; return value in ax. */
struct lc_kregs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di;
};

SEC("kprobe/cap_capable")
int lc_kp_cap(struct lc_kregs *ctx)
{
	if (!lc_is_target(bpf_get_current_task_btf()))
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	int cap = (int)ctx->dx;
	struct lc_kp_args args = {
		.target_ns = ctx->si,
		.cap = cap,
		.opts = (__u32)ctx->cx,
		.stack_id = lc_stack(ctx, cap),
	};
	bpf_map_update_elem(&lc_kp_args, &tid, &args, BPF_ANY);
	return 0;
}

SEC("kretprobe/cap_capable")
int lc_krp_cap(struct lc_kregs *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct lc_kp_args *args = bpf_map_lookup_elem(&lc_kp_args, &tid);
	if (!args)
		return 0;
	struct lc_kp_args saved = *args;
	bpf_map_delete_elem(&lc_kp_args, &tid);
	lc_record(bpf_get_current_task_btf(), (const struct user_namespace *)saved.target_ns, 0, saved.cap, (int)ctx->ax,
		  saved.opts, LC_F_OPTS_VALID, LC_BACKEND_KPROBE, saved.stack_id);
	return 0;
}

/* ---- process-tree tracking (pid mode) ---- */

static __always_inline void lc_on_fork(struct task_struct *child)
{
	if (lc_cfg_cgroup_mode)
		return;
	__u32 parent_tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 *state = bpf_map_lookup_elem(&lc_targets, &parent_tgid);
	if (!state)
		return;
	__u8 value = *state;
	int child_tgid = 0;
	LC_READ(child_tgid, child->tgid);
	if ((__u32)child_tgid != parent_tgid)
		bpf_map_update_elem(&lc_targets, &child_tgid, &value, BPF_ANY);
}

static __always_inline void lc_on_exit(void)
{
	if (lc_cfg_cgroup_mode)
		return;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!bpf_map_lookup_elem(&lc_targets, &tgid))
		return;
	struct task_struct *task = bpf_get_current_task_btf();
	struct signal_struct *signal = 0;
	int live = 1;
	LC_READ(signal, task->signal);
	if (signal)
		LC_READ(live, signal->live.counter);
	if (live == 0) /* the last thread of the group is exiting */
		bpf_map_delete_elem(&lc_targets, &tgid);
}

static __always_inline void lc_on_exec(void)
{
	if (lc_cfg_cgroup_mode)
		return;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 *state = bpf_map_lookup_elem(&lc_targets, &tgid);
	if (state && *state == LC_TARGET_ARMED) {
		__u8 active = LC_TARGET_ACTIVE;
		bpf_map_update_elem(&lc_targets, &tgid, &active, BPF_ANY);
	}
}

/* TP_PROTO(struct task_struct *parent, struct task_struct *child) */
SEC("tp_btf/sched_process_fork")
int lc_fork_btf(__u64 *ctx)
{
	lc_on_fork((struct task_struct *)ctx[1]);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int lc_fork_raw(__u64 *ctx)
{
	lc_on_fork((struct task_struct *)ctx[1]);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int lc_exit_btf(__u64 *ctx)
{
	lc_on_exit();
	return 0;
}

SEC("raw_tp/sched_process_exit")
int lc_exit_raw(__u64 *ctx)
{
	lc_on_exit();
	return 0;
}

SEC("tp_btf/sched_process_exec")
int lc_exec_btf(__u64 *ctx)
{
	lc_on_exec();
	return 0;
}

SEC("raw_tp/sched_process_exec")
int lc_exec_raw(__u64 *ctx)
{
	lc_on_exec();
	return 0;
}
