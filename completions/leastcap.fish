# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_leastcap_global_optspecs
    string join \n json color= h/help V/version
end

function __fish_leastcap_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_leastcap_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_leastcap_using_subcommand
    set -l cmd (__fish_leastcap_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c leastcap -n "__fish_leastcap_needs_command" -l color -d 'When to colour text output (NO_COLOR in the environment always disables colour)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is not set'
always\t'Colour even into a pipe (still never when NO_COLOR is set)'
never\t''"
complete -c leastcap -n "__fish_leastcap_needs_command" -l json -d 'Print machine-readable JSON instead of text'
complete -c leastcap -n "__fish_leastcap_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c leastcap -n "__fish_leastcap_needs_command" -s V -l version -d 'Print version'
complete -c leastcap -n "__fish_leastcap_needs_command" -f -a "explain" -d 'Explain capabilities: what each one allows, whether it amounts to root, and what narrower capability to grant instead'
complete -c leastcap -n "__fish_leastcap_needs_command" -f -a "decode" -d 'Decode hexadecimal capability masks, such as the CapEff: line of /proc/PID/status'
complete -c leastcap -n "__fish_leastcap_needs_command" -f -a "getcap" -d 'Show the capabilities stored on files (the security.capability attribute)'
complete -c leastcap -n "__fish_leastcap_needs_command" -f -a "setcap" -d 'Set, change, remove or verify the capabilities stored on files'
complete -c leastcap -n "__fish_leastcap_needs_command" -f -a "scan" -d 'Find every setuid file, setgid file and file with capabilities, in one fast pass'
complete -c leastcap -n "__fish_leastcap_needs_command" -f -a "ps" -d 'Show which processes hold which capabilities, most dangerous first'
complete -c leastcap -n "__fish_leastcap_needs_command" -f -a "run" -d 'Run a program with exactly the capabilities, user and groups it needs'
complete -c leastcap -n "__fish_leastcap_needs_command" -f -a "trace" -d 'Trace the kernel\'s capability checks of a program, a process tree or a cgroup, and say which capabilities it needs'
complete -c leastcap -n "__fish_leastcap_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c leastcap -n "__fish_leastcap_using_subcommand explain" -s s -l search -d 'List every capability whose description contains all of these words (like capsh --suggest)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand explain" -l color -d 'When to colour text output (NO_COLOR in the environment always disables colour)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is not set'
always\t'Colour even into a pipe (still never when NO_COLOR is set)'
never\t''"
complete -c leastcap -n "__fish_leastcap_using_subcommand explain" -l json -d 'Print machine-readable JSON instead of text'
complete -c leastcap -n "__fish_leastcap_using_subcommand explain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c leastcap -n "__fish_leastcap_using_subcommand explain" -s V -l version -d 'Print version'
complete -c leastcap -n "__fish_leastcap_using_subcommand decode" -l color -d 'When to colour text output (NO_COLOR in the environment always disables colour)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is not set'
always\t'Colour even into a pipe (still never when NO_COLOR is set)'
never\t''"
complete -c leastcap -n "__fish_leastcap_using_subcommand decode" -l json -d 'Print machine-readable JSON instead of text'
complete -c leastcap -n "__fish_leastcap_using_subcommand decode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c leastcap -n "__fish_leastcap_using_subcommand decode" -s V -l version -d 'Print version'
complete -c leastcap -n "__fish_leastcap_using_subcommand getcap" -l color -d 'When to colour text output (NO_COLOR in the environment always disables colour)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is not set'
always\t'Colour even into a pipe (still never when NO_COLOR is set)'
never\t''"
complete -c leastcap -n "__fish_leastcap_using_subcommand getcap" -s r -d 'Walk directories recursively (symlinks are never followed)'
complete -c leastcap -n "__fish_leastcap_using_subcommand getcap" -s n -d 'Print the rootid of namespaced (v3) capabilities: ` [rootid=N]`'
complete -c leastcap -n "__fish_leastcap_using_subcommand getcap" -s v -d 'Also print files without capabilities, and `(Not a regular file)` for the rest'
complete -c leastcap -n "__fish_leastcap_using_subcommand getcap" -l json -d 'Print machine-readable JSON instead of text'
complete -c leastcap -n "__fish_leastcap_using_subcommand getcap" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c leastcap -n "__fish_leastcap_using_subcommand getcap" -s V -l version -d 'Print version'
complete -c leastcap -n "__fish_leastcap_using_subcommand setcap" -s n -d 'Write namespaced (v3) capabilities for this root uid (a positive integer)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand setcap" -l add -d 'Add these capabilities to each FILE\'s current ones (all arguments are files). Refused when the merge would change which capabilities are effective (one flag on disk covers all of P∪I), unless --force' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand setcap" -l drop -d 'Remove these capabilities (e.g. net_admin,cap_sys_ptrace) from each FILE' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand setcap" -l apply -d 'Restore the file capabilities saved in a manifest (`leastcap scan --export`)' -r -F
complete -c leastcap -n "__fish_leastcap_using_subcommand setcap" -l color -d 'When to colour text output (NO_COLOR in the environment always disables colour)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is not set'
always\t'Colour even into a pipe (still never when NO_COLOR is set)'
never\t''"
complete -c leastcap -n "__fish_leastcap_using_subcommand setcap" -s r -d 'Remove the capabilities of each FILE (all arguments are files)'
complete -c leastcap -n "__fish_leastcap_using_subcommand setcap" -s v -d 'Verify: compare each FILE with TEXT, print `FILE: OK` or `FILE differs in [pie]`'
complete -c leastcap -n "__fish_leastcap_using_subcommand setcap" -s q -d 'Quiet: no verification lines and no warnings'
complete -c leastcap -n "__fish_leastcap_using_subcommand setcap" -s f -l force -d 'Accept effective flags that do not cover all of P∪I (libcap ≤ 2.69 behaviour)'
complete -c leastcap -n "__fish_leastcap_using_subcommand setcap" -l json -d 'Print machine-readable JSON instead of text'
complete -c leastcap -n "__fish_leastcap_using_subcommand setcap" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c leastcap -n "__fish_leastcap_using_subcommand setcap" -s V -l version -d 'Print version'
complete -c leastcap -n "__fish_leastcap_using_subcommand scan" -l threads -d 'Worker threads (default: one per core)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand scan" -l export -d 'Also write the file capabilities found to a manifest for `leastcap setcap --apply`' -r -F
complete -c leastcap -n "__fish_leastcap_using_subcommand scan" -l color -d 'When to colour text output (NO_COLOR in the environment always disables colour)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is not set'
always\t'Colour even into a pipe (still never when NO_COLOR is set)'
never\t''"
complete -c leastcap -n "__fish_leastcap_using_subcommand scan" -l all-filesystems -d 'Cross into other mounted file systems (pseudo and network ones are still skipped)'
complete -c leastcap -n "__fish_leastcap_using_subcommand scan" -l json -d 'Print machine-readable JSON instead of text'
complete -c leastcap -n "__fish_leastcap_using_subcommand scan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c leastcap -n "__fish_leastcap_using_subcommand scan" -s V -l version -d 'Print version'
complete -c leastcap -n "__fish_leastcap_using_subcommand ps" -l pid -d 'Only these processes (a thread id selects that thread), shown in detail' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand ps" -l user -d 'Only processes whose real or effective user is USER (a name or a number)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand ps" -l cap -d 'Only processes that can use CAP, with the sets through which they can (effective: now; permitted: after raising it; ambient: kept across execve; inheritable: through execve of a file with CAP in its inheritable set)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand ps" -l color -d 'When to colour text output (NO_COLOR in the environment always disables colour)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is not set'
always\t'Colour even into a pipe (still never when NO_COLOR is set)'
never\t''"
complete -c leastcap -n "__fish_leastcap_using_subcommand ps" -l all -d 'List every process, including unprivileged ones, kernel threads and leastcap itself'
complete -c leastcap -n "__fish_leastcap_using_subcommand ps" -l tree -d 'Show processes as a tree (children under their parent) instead of ranked'
complete -c leastcap -n "__fish_leastcap_using_subcommand ps" -l threads -d 'List every thread, not only those whose credentials differ from their leader\'s'
complete -c leastcap -n "__fish_leastcap_using_subcommand ps" -l self -d 'Print this process\'s own state like `capsh --print`, securebits included'
complete -c leastcap -n "__fish_leastcap_using_subcommand ps" -l json -d 'Print machine-readable JSON instead of text'
complete -c leastcap -n "__fish_leastcap_using_subcommand ps" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c leastcap -n "__fish_leastcap_using_subcommand ps" -s V -l version -d 'Print version'
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -s u -l user -d 'Run as this user (name or uid); the gid defaults to the user\'s primary group' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -s g -l group -d 'Run with this group (name or gid)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -l groups -d 'Supplementary groups, comma-separated names or gids (\'\' for none)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -s c -l caps -d 'Capabilities the program holds after exec (see CAPS below)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -l inheritable -d 'Set the inheritable set exactly (overrides what --caps implies)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -l ambient -d 'Set the ambient set exactly (each must be permitted and inheritable)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -l bounding -d 'Set the bounding set (default: exactly the requested capabilities)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -l securebits -d 'Securebits: names (noroot,noroot_locked,...), a number, or \'locked-down\' (noroot, no_setuid_fixup, no_cap_ambient_raise, all locked: uid 0 cannot regain capabilities)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -l color -d 'When to colour text output (NO_COLOR in the environment always disables colour)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is not set'
always\t'Colour even into a pipe (still never when NO_COLOR is set)'
never\t''"
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -l init-groups -d 'Supplementary groups of --user from /etc/group (as initgroups(3))'
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -l keep-groups -d 'Keep leastcap\'s own supplementary groups'
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -l keep-bounding -d 'Keep leastcap\'s own bounding set'
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -l no-new-privs -d 'Set no_new_privs (the default)'
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -l allow-new-privs -d 'Do not set no_new_privs: setuid bits and file capabilities of the program (and of what it executes) are honoured'
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -s n -l dry-run -d 'Print the plan and what the program will hold after exec; run nothing'
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -l verify -d 'Stop the program at exec, compare its /proc/PID/status with the prediction, and kill it before it runs if anything differs'
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -l json -d 'Print machine-readable JSON instead of text'
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c leastcap -n "__fish_leastcap_using_subcommand run" -s V -l version -d 'Print version'
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -s u -l user -d 'Run as this user (name or uid); the gid defaults to the user\'s primary group' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -s g -l group -d 'Run with this group (name or gid)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l groups -d 'Supplementary groups, comma-separated names or gids (\'\' for none)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -s c -l caps -d 'Capabilities the program holds after exec (see CAPS below)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l inheritable -d 'Set the inheritable set exactly (overrides what --caps implies)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l ambient -d 'Set the ambient set exactly (each must be permitted and inheritable)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l bounding -d 'Set the bounding set (default: exactly the requested capabilities)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l securebits -d 'Securebits: names (noroot,noroot_locked,...), a number, or \'locked-down\' (noroot, no_setuid_fixup, no_cap_ambient_raise, all locked: uid 0 cannot regain capabilities)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -s p -l pid -d 'Trace a running process and its descendants instead of starting a program' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l cgroup -d 'Trace every process in a cgroup v2 directory (and its sub-cgroups)' -r -F
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l unit -d 'Trace a systemd unit (its cgroup)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l duration -d 'Stop after this many seconds (for --pid, --cgroup and --unit)' -r
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l backend -d 'Use this backend instead of the best one the kernel allows' -r -f -a "fexit\t''
tp-btf\t''
raw-tp\t''
tracepoint\t''
kprobe\t''"
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -s o -l output -d 'Write the trace here instead of standard error' -r -F
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l color -d 'When to colour text output (NO_COLOR in the environment always disables colour)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is not set'
always\t'Colour even into a pipe (still never when NO_COLOR is set)'
never\t''"
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l init-groups -d 'Supplementary groups of --user from /etc/group (as initgroups(3))'
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l keep-groups -d 'Keep leastcap\'s own supplementary groups'
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l keep-bounding -d 'Keep leastcap\'s own bounding set'
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l no-new-privs -d 'Set no_new_privs (the default)'
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l allow-new-privs -d 'Do not set no_new_privs: setuid bits and file capabilities of the program (and of what it executes) are honoured'
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l unique -d 'Show each capability/syscall/verdict combination once (counted in the kernel)'
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -s s -l summary -d 'Only the summary at the end; checks are counted in the kernel (the cheapest mode)'
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l stack -d 'Record the kernel call stack of every check (costs ~3 µs per check) and print it'
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -l json -d 'Print machine-readable JSON instead of text'
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c leastcap -n "__fish_leastcap_using_subcommand trace" -s V -l version -d 'Print version'
complete -c leastcap -n "__fish_leastcap_using_subcommand help; and not __fish_seen_subcommand_from explain decode getcap setcap scan ps run trace help" -f -a "explain" -d 'Explain capabilities: what each one allows, whether it amounts to root, and what narrower capability to grant instead'
complete -c leastcap -n "__fish_leastcap_using_subcommand help; and not __fish_seen_subcommand_from explain decode getcap setcap scan ps run trace help" -f -a "decode" -d 'Decode hexadecimal capability masks, such as the CapEff: line of /proc/PID/status'
complete -c leastcap -n "__fish_leastcap_using_subcommand help; and not __fish_seen_subcommand_from explain decode getcap setcap scan ps run trace help" -f -a "getcap" -d 'Show the capabilities stored on files (the security.capability attribute)'
complete -c leastcap -n "__fish_leastcap_using_subcommand help; and not __fish_seen_subcommand_from explain decode getcap setcap scan ps run trace help" -f -a "setcap" -d 'Set, change, remove or verify the capabilities stored on files'
complete -c leastcap -n "__fish_leastcap_using_subcommand help; and not __fish_seen_subcommand_from explain decode getcap setcap scan ps run trace help" -f -a "scan" -d 'Find every setuid file, setgid file and file with capabilities, in one fast pass'
complete -c leastcap -n "__fish_leastcap_using_subcommand help; and not __fish_seen_subcommand_from explain decode getcap setcap scan ps run trace help" -f -a "ps" -d 'Show which processes hold which capabilities, most dangerous first'
complete -c leastcap -n "__fish_leastcap_using_subcommand help; and not __fish_seen_subcommand_from explain decode getcap setcap scan ps run trace help" -f -a "run" -d 'Run a program with exactly the capabilities, user and groups it needs'
complete -c leastcap -n "__fish_leastcap_using_subcommand help; and not __fish_seen_subcommand_from explain decode getcap setcap scan ps run trace help" -f -a "trace" -d 'Trace the kernel\'s capability checks of a program, a process tree or a cgroup, and say which capabilities it needs'
complete -c leastcap -n "__fish_leastcap_using_subcommand help; and not __fish_seen_subcommand_from explain decode getcap setcap scan ps run trace help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
