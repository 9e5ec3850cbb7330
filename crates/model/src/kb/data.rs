//! Knowledge-base data. Sources: see each entry; how the tables were checked, and how
//! `call_sites` and advisory functions are meant to be matched, is in the repository's
//! docs/knowledge-base.md.

use super::{AdvisorySite, CapInfo, OrChain, Verdict};
use crate::cap::Cap;

const fn cap(number: u8) -> Cap {
    match Cap::new(number) {
        Some(cap) => cap,
        None => panic!("capability number out of range"),
    }
}

const MAN: &str = "capabilities(7)";
const UAPI: &str = "include/uapi/linux/capability.h";
const SPENGLER: &str = "Spengler 2011, False Boundaries and Arbitrary Code Execution";
const GTFOBINS: &str = "GTFOBins capabilities";
const HACKTRICKS: &str = "HackTricks linux-capabilities";

pub static CAPABILITIES: &[CapInfo] = &[
    CapInfo {
        cap: cap(0),
        since: "2.2",
        summary: "change the owner and group of any file",
        gates: "Change the user and group ownership of files the caller does not own with \
                chown(2), fchown(2), lchown(2) and fchownat(2), including giving a file to a \
                group the caller is not a member of. The check is made against the file's \
                user-namespace mapping (capable_wrt_inode_uidgid), so it only applies to ids \
                mapped in the caller's namespace.",
        verdict: Verdict::RootEquivalent,
        escalation: "Take ownership of /etc/shadow, /etc/sudoers or a root-owned script that \
                     cron or a service runs, edit it, and log in as root; nothing in a stock \
                     configuration prevents it.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "fs/attr.c chown_ok(), chgrp_ok()",
            GTFOBINS,
            SPENGLER,
        ],
    },
    CapInfo {
        cap: cap(1),
        since: "2.2",
        summary: "bypass file read, write and execute permission checks",
        gates: "Skip the discretionary access checks in generic_permission(): open any file \
                for reading or writing, list, search and modify any directory, and execute \
                any file that has at least one execute bit, whatever its mode bits and ACLs \
                say. It covers open(2), execve(2), path lookup and access(2); it does not \
                override the immutable and append-only flags or an LSM's decision.",
        verdict: Verdict::RootEquivalent,
        escalation: "Rewrite /etc/passwd, /etc/shadow or /etc/sudoers, add a root cron job, or \
                     replace a program or script that root runs.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "fs/namei.c generic_permission()",
            GTFOBINS,
            SPENGLER,
        ],
    },
    CapInfo {
        cap: cap(2),
        since: "2.2",
        summary: "bypass file read and directory search permission checks",
        gates: "Read any file and list or traverse any directory regardless of mode bits and \
                ACLs (open(2) for reading, getdents(2), path lookup). It is also the \
                capability required by open_by_handle_at(2), which opens a file from a handle \
                without any path lookup, and it was long required for linkat(2) with \
                AT_EMPTY_PATH.",
        verdict: Verdict::RootEquivalent,
        escalation: "Read /etc/shadow and crack root's hash, or take SSH private keys and \
                     other secrets; open_by_handle_at(2) also reaches files outside a chroot \
                     or container mount namespace (the 'shocker' container escape).",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "fs/fhandle.c open_by_handle_at()",
            "Krahmer 2014, shocker Docker breakout",
            HACKTRICKS,
        ],
    },
    CapInfo {
        cap: cap(3),
        since: "2.2",
        summary: "act as the owner of any file",
        gates: "Pass checks that otherwise require the caller to own the file \
                (inode_owner_or_capable): chmod(2), setting explicit timestamps with \
                utimensat(2), setting ACLs and user-visible extended attributes, changing \
                inode flags other than immutable/append-only, and O_NOATIME. It also \
                overrides the sticky-directory rule when deleting or renaming other users' \
                files (for example in /tmp) and the fs.protected_hardlinks restriction on \
                linking files the caller does not own.",
        verdict: Verdict::RootEquivalent,
        escalation: "chmod /etc/shadow or /etc/sudoers so the holder can write it, or add the \
                     set-user-ID bit to a root-owned shell or interpreter and run it.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "fs/inode.c inode_owner_or_capable()",
            GTFOBINS,
            SPENGLER,
        ],
    },
    CapInfo {
        cap: cap(4),
        since: "2.2",
        summary: "keep set-user-ID and set-group-ID bits when they would be cleared",
        gates: "Stop the kernel from clearing the set-user-ID and set-group-ID bits when the \
                holder writes to or truncates a file (file_remove_privs), and let it set or \
                keep the set-group-ID bit on a file whose group it does not belong to, in \
                chmod(2) and when creating files in a set-group-ID directory.",
        verdict: Verdict::Conditional,
        escalation: "Given write access to a set-group-ID program or directory of a privileged \
                     group (such as staff, which owns /usr/local on Debian), plant code that \
                     keeps that group and use it to hijack root's PATH or libraries; needs such \
                     a writable object to exist.",
        narrower: &[],
        sources: &[MAN, UAPI, "fs/inode.c file_remove_privs()", SPENGLER],
    },
    CapInfo {
        cap: cap(5),
        since: "2.2",
        summary: "send signals to any process",
        gates: "Bypass the permission check for sending signals with kill(2), tgkill(2), \
                rt_sigqueueinfo(2) and pidfd_send_signal(2), so the holder can signal \
                processes of other users, root's included (kill_ok_by_cred). It also covers \
                the KDSIGACCEPT console ioctl.",
        verdict: Verdict::Conditional,
        escalation: "Kill a root service that listens on an unprivileged port and take the \
                     port over, or send SIGUSR1 to a root Node.js process to open its debugger \
                     for code injection; both depend on what root runs.",
        narrower: &[],
        sources: &[MAN, UAPI, "kernel/signal.c kill_ok_by_cred()", HACKTRICKS],
    },
    CapInfo {
        cap: cap(6),
        since: "2.2",
        summary: "set arbitrary group ids and supplementary groups",
        gates: "Set real, effective, saved and filesystem group ids to any value with \
                setgid(2), setregid(2), setresgid(2) and setfsgid(2), replace the \
                supplementary group list with setgroups(2), send forged group ids in \
                SCM_CREDENTIALS messages on UNIX sockets, and write arbitrary gid_map entries \
                for a child user namespace.",
        verdict: Verdict::RootEquivalent,
        escalation: "Join shadow (read /etc/shadow), disk (raw access to the root block device \
                     to rewrite any file), docker or lxd (start a privileged container), or \
                     another group that owns something root trusts.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "kernel/groups.c may_setgroups()",
            GTFOBINS,
            SPENGLER,
        ],
    },
    CapInfo {
        cap: cap(7),
        since: "2.2",
        summary: "set arbitrary user ids",
        gates: "Set real, effective, saved and filesystem user ids to any value with \
                setuid(2), setreuid(2), setresuid(2) and setfsuid(2), send forged user ids in \
                SCM_CREDENTIALS messages on UNIX sockets, and write arbitrary uid_map entries \
                for a child user namespace.",
        verdict: Verdict::RootEquivalent,
        escalation: "Call setuid(0) and execute a shell: full root at once.",
        narrower: &[],
        sources: &[MAN, UAPI, "kernel/sys.c __sys_setuid()", GTFOBINS, SPENGLER],
    },
    CapInfo {
        cap: cap(8),
        since: "2.2",
        summary: "raise inheritable capabilities, shrink the bounding set and set securebits",
        gates: "Since file capabilities (2.6.24), let the holder add any capability in its \
                bounding set to its inheritable set with capset(2), drop capabilities from \
                the bounding set with prctl(PR_CAPBSET_DROP), and change securebits with \
                prctl(PR_SET_SECUREBITS). Before file capabilities it meant changing the \
                capabilities of other processes.",
        verdict: Verdict::Conditional,
        escalation: "Raised inheritable capabilities only become usable when the holder \
                     executes a program whose file-inheritable set contains them, so the path \
                     depends on such binaries being installed (Spengler counts it as generic).",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "security/commoncap.c cap_capset(), cap_task_prctl()",
            SPENGLER,
        ],
    },
    CapInfo {
        cap: cap(9),
        since: "2.2",
        summary: "set and clear the immutable and append-only file flags",
        gates: "Set or clear FS_IMMUTABLE_FL and FS_APPEND_FL (chattr +i and +a) through the \
                FS_IOC_SETFLAGS and FS_IOC_FSSETXATTR ioctls on filesystems that support \
                them (fileattr_set_prepare).",
        verdict: Verdict::No,
        escalation: "It only removes a tamper-protection layer, for example to truncate an \
                     append-only log; changing the file still needs write access, so there is \
                     no path to root on its own.",
        narrower: &[],
        sources: &[MAN, UAPI, "fileattr_set_prepare() (FS_IOC_SETFLAGS)"],
    },
    CapInfo {
        cap: cap(10),
        since: "2.2",
        summary: "bind to privileged ports below 1024",
        gates: "Bind TCP, UDP, SCTP and other IP sockets to ports below \
                net.ipv4.ip_unprivileged_port_start (1024 by default) with bind(2) \
                (inet_port_requires_bind_service).",
        verdict: Verdict::No,
        escalation: "Lets a process impersonate a well-known service whose daemon is not \
                     running (SSH, mail, DNS) to collect credentials, but gives no local root \
                     access.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "net/ipv4/af_inet.c inet_port_requires_bind_service()",
        ],
    },
    CapInfo {
        cap: cap(11),
        since: "2.2",
        summary: "broadcast and listen to multicast (unused by the kernel)",
        gates: "Defined for socket broadcasting and multicast listening, but no kernel code \
                checks it: holding or lacking it changes nothing.",
        verdict: Verdict::No,
        escalation: "None: the kernel never checks this capability.",
        narrower: &[],
        sources: &[MAN, UAPI],
    },
    CapInfo {
        cap: cap(12),
        since: "2.2",
        summary: "administer network interfaces, routing, firewalls and traffic control",
        gates: "Configure the network stack through rtnetlink and the SIOCSIF* ioctls: \
                interfaces and addresses, routes and policy rules, netfilter/nftables \
                firewall and NAT rules, traffic control (tc), tun/tap, bridges, VLANs, \
                WireGuard and IPsec. It also allows privileged socket options (SO_DEBUG, \
                SO_SNDBUFFORCE, SO_MARK, IP_TRANSPARENT), promiscuous mode, and networking \
                BPF program and map types together with CAP_BPF.",
        verdict: Verdict::Conditional,
        escalation: "Redirect or intercept local traffic with NAT rules or routes to a \
                     malicious service to capture credentials; combined with CAP_BPF it can \
                     rewrite packets in the kernel. Historically it could autoload arbitrary \
                     modules through interface names (closed in 2.6.39).",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "net/core/rtnetlink.c, net/core/dev_ioctl.c",
            SPENGLER,
        ],
    },
    CapInfo {
        cap: cap(13),
        since: "2.2",
        summary: "use raw and packet sockets",
        gates: "Create raw and packet sockets: socket(AF_INET/AF_INET6, SOCK_RAW) for \
                crafting IP packets, AF_PACKET for capturing and injecting link-layer frames, \
                and ICMP echo sockets outside net.ipv4.ping_group_range. It also allows \
                transparent proxying (IP_TRANSPARENT) and, since 5.17, SO_MARK and \
                SO_PRIORITY values outside 0-6, all of which CAP_NET_ADMIN allows too.",
        verdict: Verdict::Conditional,
        escalation: "Sniff or spoof traffic on the host's interfaces to capture credentials or \
                     hijack unencrypted sessions; no direct local path to root.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "net/ipv4/af_inet.c inet_create()",
            "net/packet/af_packet.c packet_create()",
        ],
    },
    CapInfo {
        cap: cap(14),
        since: "2.2",
        summary: "lock memory and use huge-page shared memory beyond limits",
        gates: "Lock pages in RAM with mlock(2), mlock2(2), mlockall(2), mmap(MAP_LOCKED) and \
                shmctl(SHM_LOCK) regardless of RLIMIT_MEMLOCK, and create huge-page shared \
                memory (SHM_HUGETLB, MAP_HUGETLB) without membership of \
                vm.hugetlb_shm_group. Some subsystems (io_uring registered buffers, RDMA) \
                use it to skip locked-memory accounting.",
        verdict: Verdict::No,
        escalation: "Only denial of service by pinning memory; no path to root.",
        narrower: &[],
        sources: &[MAN, UAPI, "mm/mlock.c can_do_mlock()"],
    },
    CapInfo {
        cap: cap(15),
        since: "2.2",
        summary: "bypass permission checks on System V IPC objects",
        gates: "Skip the owner and mode checks that ipcperms() applies to System V message \
                queues, semaphore sets and shared-memory segments (msgsnd(2), msgrcv(2), \
                semop(2), shmat(2) and the read side of the ctl calls).",
        verdict: Verdict::Conditional,
        escalation: "Read or corrupt shared memory, semaphores or message queues of privileged \
                     processes; whether that leads to root depends on what those processes \
                     trust.",
        narrower: &[],
        sources: &[MAN, UAPI, "ipc/util.c ipcperms()"],
    },
    CapInfo {
        cap: cap(16),
        since: "2.2",
        summary: "load and unload kernel modules",
        gates: "Load kernel modules with init_module(2) and finit_module(2) and remove them \
                with delete_module(2); it also gates some on-demand module loads, such as \
                line disciplines when dev.tty.ldisc_autoload is 0. Before 2.6.25 it also \
                controlled the system-wide capability bounding set.",
        verdict: Verdict::RootEquivalent,
        escalation: "Load a module that runs arbitrary code in the kernel: more than root. \
                     Blocked only by kernel.modules_disabled, enforced module signatures or \
                     lockdown.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "kernel/module/main.c may_init_module()",
            SPENGLER,
        ],
    },
    CapInfo {
        cap: cap(17),
        since: "2.2",
        summary: "raw access to I/O ports, physical memory and devices",
        gates: "Perform port I/O with iopl(2) and ioperm(2), open /dev/mem and /dev/port \
                (and /dev/kmem before 5.13; their file modes still apply), map addresses below \
                vm.mmap_min_addr, use the FIBMAP ioctl, send SCSI commands outside the safe \
                list with SG_IO, access model-specific registers through /dev/cpu/*/msr, and \
                various raw device operations in drivers.",
        verdict: Verdict::RootEquivalent,
        escalation: "Write physical memory or MSRs, talk to hardware directly, or map page \
                     zero to exploit kernel NULL-pointer bugs; each is a kernel-level \
                     compromise.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "drivers/char/mem.c open_port()",
            "security/commoncap.c cap_mmap_addr()",
            SPENGLER,
        ],
    },
    CapInfo {
        cap: cap(18),
        since: "2.2",
        summary: "change the root directory",
        gates: "Call chroot(2) to change the process's root directory. Together with \
                CAP_SYS_ADMIN it is also required to enter another mount namespace with \
                setns(2).",
        verdict: Verdict::Conditional,
        escalation: "Build a chroot with a hard link to a set-user-ID root program and a \
                     trojaned loader or library, then run it; fs.protected_hardlinks=1, the \
                     default on current distributions, stops the linking step.",
        narrower: &[],
        sources: &[MAN, UAPI, "fs/open.c chroot(2)", SPENGLER],
    },
    CapInfo {
        cap: cap(19),
        since: "2.2",
        summary: "trace, inspect and control any process",
        gates: "Attach to and control other users' processes with ptrace(2), read and write \
                their memory with process_vm_readv(2), process_vm_writev(2) and \
                /proc/PID/mem, compare their resources with kcmp(2), take their file \
                descriptors with pidfd_getfd(2), and open /proc files guarded by ptrace \
                access checks (ptrace_has_cap). Yama's ptrace_scope 1 and 2 let holders \
                through; scope 3 stops everyone.",
        verdict: Verdict::RootEquivalent,
        escalation: "Attach to a root process and inject code into it (gdb, a ptrace \
                     shellcode injector); works unless kernel.yama.ptrace_scope is 3.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "kernel/ptrace.c ptrace_has_cap()",
            GTFOBINS,
            SPENGLER,
        ],
    },
    CapInfo {
        cap: cap(20),
        since: "2.2",
        summary: "switch process accounting on and off",
        gates: "Enable, disable or redirect BSD process accounting with acct(2).",
        verdict: Verdict::No,
        escalation: "None known: at worst it fills a disk or hides activity from accounting \
                     records.",
        narrower: &[],
        sources: &[MAN, UAPI, "kernel/acct.c acct(2)"],
    },
    CapInfo {
        cap: cap(21),
        since: "2.2",
        summary: "catch-all privilege for system administration",
        gates: "The kernel's catch-all: mount(2), umount(2), pivot_root(2) and the new mount \
                API, unshare(2), clone(2) and setns(2) for most namespaces, sethostname(2), \
                swapon(2), quotactl(2), fanotify, keyring administration, trusted.* and \
                security.* extended attributes, seccomp filters without no_new_privs, \
                TIOCSTI into other terminals, forged pids in SCM_CREDENTIALS, and hundreds \
                of device ioctls. CAP_SYSLOG, CAP_PERFMON, CAP_BPF and \
                CAP_CHECKPOINT_RESTORE were split out of it, and it is still accepted in \
                their place.",
        verdict: Verdict::RootEquivalent,
        escalation: "Bind-mount a file the holder controls over /etc/passwd, /etc/shadow or a \
                     program root runs; push keystrokes into an administrator's terminal with \
                     TIOCSTI where legacy TIOCSTI is enabled; or use the BPF and perf \
                     fallbacks to read and write kernel memory.",
        narrower: &[Cap::SYSLOG, Cap::PERFMON, Cap::BPF, Cap::CHECKPOINT_RESTORE],
        sources: &[
            MAN,
            UAPI,
            "include/linux/capability.h",
            "Kerrisk 2012, CAP_SYS_ADMIN: the new root (LWN)",
            SPENGLER,
        ],
    },
    CapInfo {
        cap: cap(22),
        since: "2.2",
        summary: "reboot the system and load a new kernel",
        gates: "Reboot, halt or power off the machine and change the Ctrl-Alt-Del behaviour \
                with reboot(2), and stage a new kernel with kexec_load(2) and \
                kexec_file_load(2).",
        verdict: Verdict::RootEquivalent,
        escalation: "kexec into a kernel of the holder's choosing, which then owns the \
                     machine; blocked by kernel.kexec_load_disabled, lockdown or \
                     signature-enforced kexec_file_load.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "kernel/kexec_core.c kexec_load_permitted()",
            SPENGLER,
        ],
    },
    CapInfo {
        cap: cap(23),
        since: "2.2",
        summary: "raise priorities and set real-time, affinity and NUMA policies",
        gates: "Lower nice values with nice(2) and setpriority(2), use real-time scheduling \
                policies and priorities beyond RLIMIT_RTPRIO with sched_setscheduler(2) and \
                sched_setattr(2), change the scheduling and CPU affinity \
                (sched_setaffinity(2)) of other users' processes, set the real-time I/O \
                class with ioprio_set(2) (since 5.14, as an alternative to CAP_SYS_ADMIN), \
                and move other processes' pages with migrate_pages(2), move_pages(2) and \
                mbind(MPOL_MF_MOVE_ALL).",
        verdict: Verdict::No,
        escalation: "Starve or favour processes and widen race windows or timing side \
                     channels; no direct path to root.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "kernel/sched can_nice()",
            "block/ioprio.c ioprio_check_cap()",
        ],
    },
    CapInfo {
        cap: cap(24),
        since: "2.2",
        summary: "override resource limits and quotas",
        gates: "Raise hard resource limits with setrlimit(2) and prlimit(2), fork past \
                RLIMIT_NPROC, exceed disk quotas and use the ext2/3/4 reserved blocks, grow \
                pipes past fs.pipe-max-size with F_SETPIPE_SZ and past the per-user pipe and \
                SCM_RIGHTS in-flight limits, raise System V and POSIX message queue limits, \
                use prctl(PR_SET_MM) field by field, and set RTC interrupt rates above 64 Hz.",
        verdict: Verdict::No,
        escalation: "Denial of service by exhausting memory, disk or processes; no path to \
                     root.",
        narrower: &[],
        sources: &[MAN, UAPI, "kernel/sys.c do_prlimit(), prctl_set_mm()"],
    },
    CapInfo {
        cap: cap(25),
        since: "2.2",
        summary: "set the system clock and the hardware clock",
        gates: "Set the system time with settimeofday(2) and clock_settime(2), adjust it \
                with adjtimex(2) and clock_adjtime(2), and set the hardware real-time clock \
                (RTC_SET_TIME ioctl).",
        verdict: Verdict::No,
        escalation: "Moving the clock can revive expired certificates, tokens or Kerberos \
                     tickets and disturb time-based controls, but gives no general path to \
                     root.",
        narrower: &[],
        sources: &[MAN, UAPI, "security/commoncap.c cap_settime()"],
    },
    CapInfo {
        cap: cap(26),
        since: "2.2",
        summary: "configure virtual consoles and hang up terminals",
        gates: "Call vhangup(2) and use the privileged virtual-console ioctls on consoles \
                other than the caller's controlling terminal: keymap and function-key string \
                changes (KDSKBENT, KDSKBSENT, KDSETKEYCODE), fonts and console modes \
                (vt_ioctl). It is also accepted, after CAP_SYS_ADMIN, to attach the CAIF \
                serial line discipline.",
        verdict: Verdict::Conditional,
        escalation: "Remap keys or function-key strings on a virtual console so that the next \
                     administrator who logs in there runs commands of the holder's choosing; \
                     needs an administrator to use that console.",
        narrower: &[],
        sources: &[MAN, UAPI, "drivers/tty/vt/vt_ioctl.c vt_ioctl()", SPENGLER],
    },
    CapInfo {
        cap: cap(27),
        since: "2.4",
        summary: "create device special files",
        gates: "Create character and block device nodes with mknod(2) and mknodat(2) \
                (vfs_mknod); FIFOs and UNIX socket files need no capability.",
        verdict: Verdict::RootEquivalent,
        escalation: "Create a node for the root disk's block device, owned by the holder, on \
                     a filesystem mounted without nodev, and rewrite any file through it.",
        narrower: &[],
        sources: &[MAN, UAPI, "fs/namei.c vfs_mknod()", SPENGLER],
    },
    CapInfo {
        cap: cap(28),
        since: "2.4",
        summary: "take file leases on files the caller does not own",
        gates: "Set leases with fcntl(F_SETLEASE) on files owned by other users \
                (generic_setlease); a lease lets the holder learn of, and briefly delay, \
                other processes' opens and truncations of the file.",
        verdict: Verdict::No,
        escalation: "Can stall other processes' opens for lease-break-time seconds or detect \
                     file accesses; no path to root.",
        narrower: &[],
        sources: &[MAN, UAPI, "fs/locks.c generic_setlease()"],
    },
    CapInfo {
        cap: cap(29),
        since: "2.6.11",
        summary: "write records to the kernel audit log",
        gates: "Send user-space audit messages (the AUDIT_USER_* types) to the kernel \
                through a NETLINK_AUDIT socket, as login programs and PAM do \
                (audit_netlink_ok).",
        verdict: Verdict::No,
        escalation: "Can forge or flood audit records to mislead investigators; no path to \
                     root.",
        narrower: &[],
        sources: &[MAN, UAPI, "kernel/audit.c audit_netlink_ok()"],
    },
    CapInfo {
        cap: cap(30),
        since: "2.6.11",
        summary: "configure the kernel audit subsystem",
        gates: "Enable or disable auditing, add and delete audit rules, register the audit \
                daemon, set the backlog and failure mode, and change TTY auditing through \
                NETLINK_AUDIT (AUDIT_SET, AUDIT_ADD_RULE, AUDIT_TTY_SET and others). It is \
                also needed to change a login uid that is already set.",
        verdict: Verdict::Conditional,
        escalation: "Register as the audit daemon or switch on TTY auditing to capture what \
                     administrators type, passwords included; it needs an administrator to \
                     type a secret, and it can also blind the audit trail.",
        narrower: &[],
        sources: &[MAN, UAPI, "kernel/audit.c audit_netlink_ok()", HACKTRICKS],
    },
    CapInfo {
        cap: cap(31),
        since: "2.6.24",
        summary: "set file capabilities",
        gates: "Write the security.capability extended attribute (setxattr(2), setcap) to \
                attach capabilities to any file the holder may modify (cap_convert_nscap). \
                Since 5.12 it is also required to map user id 0 of a new user namespace.",
        verdict: Verdict::RootEquivalent,
        escalation: "Copy a shell or interpreter, give the copy cap_setuid+ep with setcap, and \
                     run it to become root.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "security/commoncap.c cap_convert_nscap()",
            "kernel/user_namespace.c verify_root_map()",
            GTFOBINS,
        ],
    },
    CapInfo {
        cap: cap(32),
        since: "2.6.25",
        summary: "override mandatory access control (Smack)",
        gates: "Bypass Smack mandatory access rules (smack_privileged). SELinux and AppArmor \
                do not treat it as an override: there it is just a capability their policy \
                has to allow. It is part of the filesystem capability set that nfsd applies.",
        verdict: Verdict::Conditional,
        escalation: "On a Smack system it removes the MAC layer but not the DAC checks, so a \
                     second weakness is still needed; elsewhere it does nothing by itself.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "security/smack/smack_access.c smack_privileged()",
        ],
    },
    CapInfo {
        cap: cap(33),
        since: "2.6.25",
        summary: "administer the mandatory access control policy",
        gates: "Change MAC configuration and state: load and replace AppArmor profiles, \
                change Smack rules and labels, and set SELinux file contexts that the loaded \
                policy does not define. Loading SELinux policy itself is governed by SELinux \
                permissions.",
        verdict: Verdict::Conditional,
        escalation: "Weaken or replace the MAC policy (for example swap an AppArmor profile \
                     for an unconfined one) to remove one layer; root still needs a DAC \
                     weakness or a bug in the policy parser.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "security/apparmor/policy.c policy_admin_capable()",
        ],
    },
    CapInfo {
        cap: cap(34),
        since: "2.6.37",
        summary: "read and control the kernel log and see kernel addresses",
        gates: "Perform privileged syslog(2) actions (read and clear the ring buffer, set the \
                console log level), open /dev/kmsg and /proc/kmsg when \
                kernel.dmesg_restrict is 1, and see real kernel addresses in \
                /proc/kallsyms, /proc/modules and other %pK output when \
                kernel.kptr_restrict is 1. Split out of CAP_SYS_ADMIN in 2.6.37.",
        verdict: Verdict::No,
        escalation: "Information only: kernel addresses defeat KASLR and the log may leak \
                     secrets, which helps a separate kernel exploit but gives no root by \
                     itself.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "kernel/printk/printk.c check_syslog_permissions()",
            "lib/vsprintf.c restricted_pointer()",
        ],
    },
    CapInfo {
        cap: cap(35),
        since: "3.0",
        summary: "set alarms that wake the system from suspend",
        gates: "Create timers on CLOCK_REALTIME_ALARM and CLOCK_BOOTTIME_ALARM with \
                timer_create(2) and timerfd_create(2), which wake the machine from suspend.",
        verdict: Verdict::No,
        escalation: "Only keeps waking the machine up (battery drain); no path to root.",
        narrower: &[],
        sources: &[MAN, UAPI, "kernel/time/alarmtimer.c"],
    },
    CapInfo {
        cap: cap(36),
        since: "3.5",
        summary: "prevent the system from suspending",
        gates: "Use EPOLLWAKEUP with epoll_ctl(2), which holds a wakeup source while events \
                are pending (without the capability the flag is silently dropped), and take \
                wakelocks through /sys/power/wake_lock.",
        verdict: Verdict::No,
        escalation: "Only keeps the system awake (battery drain); no path to root.",
        narrower: &[],
        sources: &[MAN, UAPI, "fs/eventpoll.c ep_take_care_of_epollwakeup()"],
    },
    CapInfo {
        cap: cap(37),
        since: "3.16",
        summary: "read the audit log through multicast netlink",
        gates: "Join the audit multicast group (AUDIT_NLGRP_READLOG) on a NETLINK_AUDIT \
                socket and receive a copy of every audit record as it is emitted \
                (audit_bind).",
        verdict: Verdict::Conditional,
        escalation: "Sees every audit record, including typed input when pam_tty_audit is on \
                     and command lines that carry secrets; root only through such captured \
                     secrets.",
        narrower: &[],
        sources: &[MAN, UAPI, "kernel/audit.c audit_bind()"],
    },
    CapInfo {
        cap: cap(38),
        since: "5.8",
        summary: "performance monitoring and observability",
        gates: "Use perf_event_open(2) beyond the kernel.perf_event_paranoid limits (kernel \
                and CPU-wide profiling, raw tracepoint samples), open GPU performance \
                streams, and load BPF tracing programs with their kernel-memory read helpers \
                when combined with CAP_BPF. Since about 6.15 it also lets a process read \
                other users' /proc/PID/environ, maps and similar files when the ptrace check \
                fails. Split out of CAP_SYS_ADMIN in 5.8.",
        verdict: Verdict::Conditional,
        escalation: "Exposes kernel and other processes' data (profiles, addresses, and with \
                     CAP_BPF arbitrary kernel reads through bpf_probe_read_kernel), which \
                     aids attacks but writes nothing by itself.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "include/linux/capability.h perfmon_capable()",
            "kernel/events/core.c perf_event_open()",
            "Documentation/admin-guide/perf-security.rst",
        ],
    },
    CapInfo {
        cap: cap(39),
        since: "5.8",
        summary: "load BPF programs and create BPF maps",
        gates: "Use the privileged parts of bpf(2): create most map types, load program types \
                other than socket filters, load BTF, use bounded loops and larger programs, \
                and get past kernel.unprivileged_bpf_disabled. Tracing program types also \
                need CAP_PERFMON and networking types CAP_NET_ADMIN. Split out of \
                CAP_SYS_ADMIN in 5.8.",
        verdict: Verdict::Conditional,
        escalation: "With CAP_PERFMON it reads arbitrary kernel memory (credentials, keys); \
                     with CAP_NET_ADMIN it rewrites traffic; verifier bugs have repeatedly \
                     turned it into kernel code execution.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "include/linux/capability.h bpf_capable()",
            "kernel/bpf/syscall.c",
            "kernel/bpf/token.c bpf_token_capable()",
        ],
    },
    CapInfo {
        cap: cap(40),
        since: "5.9",
        summary: "checkpoint and restore processes (CRIU)",
        gates: "Choose the PIDs of new processes (clone3(2) set_tid, writing \
                /proc/sys/kernel/ns_last_pid), open files through /proc/PID/map_files, and \
                replace a process's /proc/PID/exe link with prctl(PR_SET_MM, \
                PR_SET_MM_MAP) and an exe_fd. Split out of CAP_SYS_ADMIN in 5.9.",
        verdict: Verdict::No,
        escalation: "No known direct path to root; choosing PIDs could help PID-reuse races \
                     against services that authenticate callers by PID.",
        narrower: &[],
        sources: &[
            MAN,
            UAPI,
            "include/linux/capability.h checkpoint_restore_ns_capable()",
            "kernel/pid.c alloc_pid()",
            "kernel/sys.c prctl_set_mm_map()",
        ],
    },
];

pub static OR_CHAINS: &[OrChain] = &[
    OrChain {
        site: "perfmon_capable()",
        guards: "perf_event_open beyond kernel.perf_event_paranoid (kernel and CPU-wide \
                 profiling, raw tracepoint samples), GPU perf streams, and BPF tracing \
                 features",
        syscalls: &["perf_event_open", "bpf", "ioctl"],
        check_order: &[Cap::PERFMON, Cap::SYS_ADMIN],
        narrow: Cap::PERFMON,
        since: "5.8",
        call_sites: &[
            "perfmon_capable",
            "perf_allow_kernel",
            "perf_allow_cpu",
            "perf_allow_tracepoint",
            "find_get_context",
            "__do_sys_perf_event_open",
            "perf_trace_event_perm",
            "perf_trace_event_init",
            "perf_trace_init",
            "bpf_token_capable",
            "bpf_check",
            "bpf_prog_load",
        ],
        source: "include/linux/capability.h perfmon_capable(); kernel/events/core.c; \
                 include/linux/perf_event.h perf_allow_*(); order observed on 6.18.44",
    },
    OrChain {
        site: "bpf_capable() / bpf_token_capable(token, CAP_BPF)",
        guards: "privileged bpf(2): most map types, program types beyond socket filters, BTF \
                 loading, and use while kernel.unprivileged_bpf_disabled is set (through \
                 bpf_token_capable since 6.9)",
        syscalls: &["bpf"],
        check_order: &[Cap::BPF, Cap::SYS_ADMIN],
        narrow: Cap::BPF,
        since: "5.8",
        call_sites: &[
            "bpf_capable",
            "bpf_token_capable",
            "bpf_ns_capable",
            "map_create",
            "bpf_prog_load",
            "bpf_check",
            "bpf_btf_load",
            "bpf_prog_kallsyms_add",
        ],
        source: "include/linux/capability.h bpf_capable(); kernel/bpf/syscall.c; \
                 kernel/bpf/token.c bpf_token_capable(); order observed on 6.18.44",
    },
    OrChain {
        site: "bpf_net_capable() / bpf_token_capable(token, CAP_NET_ADMIN)",
        guards: "networking BPF program and map types (tc, XDP, socket and cgroup-skb \
                 programs, sockmap and devmap maps) and their attachment",
        syscalls: &["bpf"],
        check_order: &[Cap::NET_ADMIN, Cap::SYS_ADMIN],
        narrow: Cap::NET_ADMIN,
        since: "5.8",
        call_sites: &[
            "bpf_net_capable",
            "bpf_token_capable",
            "bpf_ns_capable",
            "bpf_prog_load",
            "map_create",
        ],
        source: "kernel/bpf/syscall.c is_net_admin_prog_type(), bpf_net_capable(); \
                 include/linux/bpf.h; order observed on 6.18.44",
    },
    OrChain {
        site: "checkpoint_restore_ns_capable(ns)",
        guards: "choosing PIDs (clone3 set_tid, writing /proc/sys/kernel/ns_last_pid), \
                 opening /proc/PID/map_files entries, and replacing /proc/PID/exe with \
                 prctl(PR_SET_MM, PR_SET_MM_MAP) and an exe_fd",
        syscalls: &["clone3", "write", "open", "openat", "prctl"],
        check_order: &[Cap::CHECKPOINT_RESTORE, Cap::SYS_ADMIN],
        narrow: Cap::CHECKPOINT_RESTORE,
        since: "5.9",
        call_sites: &[
            "checkpoint_restore_ns_capable",
            "alloc_pid",
            "pid_ns_ctl_handler",
            "proc_map_files_get_link",
            "prctl_set_mm_map",
        ],
        source: "include/linux/capability.h; kernel/pid.c alloc_pid(); \
                 kernel/pid_namespace.c pid_ns_ctl_handler(); fs/proc/base.c \
                 proc_map_files_get_link(); kernel/sys.c prctl_set_mm_map(); order observed \
                 on 6.18.44",
    },
    OrChain {
        site: "check_syslog_permissions()",
        guards: "syslog(2) and opening /dev/kmsg or /proc/kmsg while kernel.dmesg_restrict \
                 is 1, and the syslog actions that are always restricted (clear, console \
                 level); the CAP_SYS_ADMIN fallback was absent in 2.6.37 and is gone from \
                 the 6.18 kernel tested here",
        syscalls: &["syslog", "open", "openat"],
        check_order: &[Cap::SYSLOG, Cap::SYS_ADMIN],
        narrow: Cap::SYSLOG,
        since: "2.6.38",
        call_sites: &[
            "check_syslog_permissions",
            "do_syslog",
            "devkmsg_open",
            "kmsg_open",
        ],
        source: "kernel/printk/printk.c check_syslog_permissions(); ee24aebffb75 \
                 (cap_syslog: accept CAP_SYS_ADMIN for now, 2.6.38); on 6.18.44 a denied \
                 CAP_SYSLOG check was not followed by a CAP_SYS_ADMIN check",
    },
    OrChain {
        site: "ioprio_check_cap() for IOPRIO_CLASS_RT",
        guards: "real-time I/O priority class with ioprio_set, or per-request priorities \
                 in Linux AIO and io_uring",
        syscalls: &["ioprio_set", "io_submit", "io_uring_enter"],
        check_order: &[Cap::SYS_ADMIN, Cap::SYS_NICE],
        narrow: Cap::SYS_NICE,
        since: "5.14",
        call_sites: &["ioprio_check_cap", "__do_sys_ioprio_set"],
        source: "block/ioprio.c ioprio_check_cap(); 9d3a39a5f1e4 accepted CAP_SYS_NICE \
                 (5.14), 94c4b4fd25e6 checks CAP_SYS_ADMIN first; order observed on 6.18.44",
    },
    OrChain {
        site: "may_access_mm() in mm_access()",
        guards: "read-mode access to another process's memory-derived /proc files (environ, \
                 auxv, maps, smaps, pagemap) after the ptrace access check fails; \
                 /proc/PID/mem and process_vm_readv are not covered",
        syscalls: &["open", "openat"],
        check_order: &[Cap::SYS_PTRACE, Cap::PERFMON, Cap::SYS_ADMIN],
        narrow: Cap::PERFMON,
        since: "6.15",
        call_sites: &["may_access_mm", "mm_access"],
        source: "kernel/fork.c may_access_mm() (A. Nakryiko); fedora-selinux PRs #2866, \
                 #3093, #3260; order observed on 6.18.44",
    },
    OrChain {
        site: "copy_process() RLIMIT_NPROC override",
        guards: "creating a process or thread while the real user is at its RLIMIT_NPROC \
                 limit",
        syscalls: &["fork", "vfork", "clone", "clone3"],
        check_order: &[Cap::SYS_RESOURCE, Cap::SYS_ADMIN],
        narrow: Cap::SYS_RESOURCE,
        since: "2.4",
        call_sites: &["copy_process"],
        source: "kernel/fork.c copy_process(); CAPAssess Table 4; 2.4-era kernels checked \
                 CAP_SYS_ADMIN first, current ones CAP_SYS_RESOURCE first (observed on \
                 6.18.44)",
    },
    OrChain {
        site: "too_many_unix_fds()",
        guards: "passing file descriptors with SCM_RIGHTS while the user's in-flight count \
                 exceeds RLIMIT_NOFILE",
        syscalls: &["sendmsg", "sendmmsg"],
        check_order: &[Cap::SYS_RESOURCE, Cap::SYS_ADMIN],
        narrow: Cap::SYS_RESOURCE,
        since: "4.5",
        call_sites: &["too_many_unix_fds", "unix_attach_fds", "unix_scm_to_skb"],
        source: "net/unix/af_unix.c (net/unix/scm.c in some releases) too_many_unix_fds(); \
                 CAPAssess",
    },
    OrChain {
        site: "pipe_is_unprivileged_user()",
        guards: "creating or growing pipes and FIFOs after the user exceeds \
                 fs.pipe-user-pages-soft or -hard",
        syscalls: &["pipe", "pipe2", "open", "openat", "fcntl", "ioctl"],
        check_order: &[Cap::SYS_RESOURCE, Cap::SYS_ADMIN],
        narrow: Cap::SYS_RESOURCE,
        since: "4.5",
        call_sites: &[
            "pipe_is_unprivileged_user",
            "is_unprivileged_user",
            "alloc_pipe_info",
            "pipe_set_size",
            "pipe_fcntl",
            "watch_queue_set_size",
        ],
        source: "fs/pipe.c pipe_is_unprivileged_user() (is_unprivileged_user() before 5.8); \
                 CAPAssess",
    },
    OrChain {
        site: "ldisc_open() of the CAIF serial line discipline",
        guards: "attaching the N_CAIF line discipline to a terminal with ioctl(TIOCSETD)",
        syscalls: &["ioctl"],
        check_order: &[Cap::SYS_ADMIN, Cap::SYS_TTY_CONFIG],
        narrow: Cap::SYS_TTY_CONFIG,
        since: "2.6.35",
        call_sites: &["ldisc_open"],
        source: "drivers/net/caif/caif_serial.c ldisc_open(), reached from tty_ioctl(); \
                 CAPAssess lists it under tty_ioctl and ldsc_open",
    },
    OrChain {
        site: "caif_create()",
        guards: "creating AF_CAIF sockets",
        syscalls: &["socket"],
        check_order: &[Cap::SYS_ADMIN, Cap::NET_ADMIN],
        narrow: Cap::NET_ADMIN,
        since: "2.6.35",
        call_sites: &["caif_create"],
        source: "net/caif/caif_socket.c caif_create(); CAPAssess",
    },
    OrChain {
        site: "sockopt_ns_capable(CAP_NET_RAW) || sockopt_ns_capable(CAP_NET_ADMIN)",
        guards: "the SO_MARK and SO_PRIORITY (values outside 0-6) socket options and \
                 control messages, IP_TRANSPARENT and IPV6_TRANSPARENT",
        syscalls: &["setsockopt", "sendmsg"],
        check_order: &[Cap::NET_RAW, Cap::NET_ADMIN],
        narrow: Cap::NET_RAW,
        since: "5.17",
        call_sites: &[
            "sk_setsockopt",
            "sock_setsockopt",
            "do_ip_setsockopt",
            "do_ipv6_setsockopt",
            "__sock_cmsg_send",
        ],
        source: "net/core/sock.c sk_setsockopt(); 079925cce1d0 and a1b519b74548 (5.17) \
                 accept CAP_NET_RAW for SO_MARK and SO_PRIORITY; order observed on 6.18.44",
    },
];

pub static ADVISORY_SITES: &[AdvisorySite] = &[
    AdvisorySite {
        cap: Cap::SYS_ADMIN,
        function: "security_vm_enough_memory_mm",
        why: "The overcommit accounting asks for CAP_SYS_ADMIN (without auditing) only to \
              grant a small admin reserve, so mmap, brk, mprotect, mremap, fork, shmem \
              setup and execve succeed without it.",
    },
    AdvisorySite {
        cap: Cap::SYS_ADMIN,
        function: "cap_vm_enough_memory",
        why: "The same overcommit heuristic, seen in kernels where cap_vm_enough_memory keeps \
              its own stack frame instead of tail-calling cap_capable.",
    },
    AdvisorySite {
        cap: Cap::SETUID,
        function: "cap_bprm_creds_from_file",
        why: "When a set-id or file-capability program is executed under ptrace, \
              no_new_privs or a shared fs_struct, exec asks for CAP_SETUID only to decide \
              whether to keep the new ids and succeeds either way.",
    },
    AdvisorySite {
        cap: Cap::SETUID,
        function: "cap_bprm_set_creds",
        why: "The same exec-time CAP_SETUID question under the function's pre-5.8 name.",
    },
    AdvisorySite {
        cap: Cap::SYS_PTRACE,
        function: "ptracer_capable",
        why: "During a traced execve the kernel checks the tracer's CAP_SYS_PTRACE, not the \
              traced program's, and the exec succeeds either way.",
    },
    AdvisorySite {
        cap: Cap::SETPCAP,
        function: "cap_capset",
        why: "capset(2) asks for CAP_SETPCAP before every change only to decide whether the \
              new inheritable set may exceed permitted plus inheritable; dropping capabilities \
              (what daemons and ping do) succeeds without it. A program that raises \
              inheritable bits it does not hold does need it.",
    },
    AdvisorySite {
        cap: cap(36),
        function: "do_epoll_ctl",
        why: "Without CAP_BLOCK_SUSPEND epoll_ctl() silently clears EPOLLWAKEUP and still \
              succeeds, so only suspend blocking is lost.",
    },
];
