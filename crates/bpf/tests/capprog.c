/* Test program for the tracer's privileged tests: makes known capability checks on demand.
 * Usage: capprog [nowait] ACTION...   (without "nowait" it first blocks reading one byte
 * from stdin, so the test can attach the tracer to its pid before it does anything).
 * Actions run in order:
 *   rawsock            socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)       -> CAP_NET_RAW
 *   fork-rawsock       a forked child does rawsock
 *   thread-rawsock     a second thread does rawsock
 *   fork-tree N        N children, each forking a grandchild; all 2N do rawsock
 *   ioprio N           N x ioprio_set(IOPRIO_CLASS_RT): one check each (SYS_ADMIN, then SYS_NICE);
 *                      prints "ioprio N NANOSECONDS" for the loop
 *   mmap               map and touch 64 MiB of private writable memory (overcommit heuristic)
 *   bind80             bind a TCP socket to 127.0.0.1:80                 -> CAP_NET_BIND_SERVICE
 *   chown PATH         chown PATH to uid/gid 65534                       -> CAP_CHOWN
 *   perf-cpu           perf_event_open of a CPU-wide software event on CPU 0 -> CAP_PERFMON
 *                      (when kernel.perf_event_paranoid > 0)
 *   userns-hostname    unshare a user and a UTS namespace, then sethostname: CAP_SYS_ADMIN
 *                      checked against the new (level 1) user namespace
 *   exec PROG ARGS...  execv the rest of the command line
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void rawsock(void)
{
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	printf("rawsock %d\n", fd >= 0 ? 0 : -1);
	if (fd >= 0)
		close(fd);
}

static void *thread_main(void *arg)
{
	(void)arg;
	rawsock();
	return NULL;
}

int main(int argc, char **argv)
{
	int i = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (i < argc && strcmp(argv[i], "nowait") == 0) {
		i++;
	} else {
		char byte;
		if (read(0, &byte, 1) != 1)
			return 2;
	}
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "rawsock") == 0) {
			rawsock();
		} else if (strcmp(a, "fork-rawsock") == 0) {
			pid_t pid = fork();
			if (pid == 0) {
				rawsock();
				_exit(0);
			}
			waitpid(pid, NULL, 0);
		} else if (strcmp(a, "fork-tree") == 0 && i + 1 < argc) {
			long n = atol(argv[++i]);
			for (long k = 0; k < n; k++) {
				pid_t child = fork();
				if (child == 0) {
					pid_t grandchild = fork();
					if (grandchild == 0) {
						rawsock();
						_exit(0);
					}
					rawsock();
					waitpid(grandchild, NULL, 0);
					_exit(0);
				}
			}
			while (wait(NULL) > 0)
				;
		} else if (strcmp(a, "thread-rawsock") == 0) {
			pthread_t t;
			pthread_create(&t, NULL, thread_main, NULL);
			pthread_join(t, NULL);
		} else if (strcmp(a, "ioprio") == 0 && i + 1 < argc) {
			long n = atol(argv[++i]);
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			for (long k = 0; k < n; k++)
				syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0,
					(1 << 13) | 0 /* IOPRIO_CLASS_RT, level 0 */);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			printf("ioprio %ld %lld\n", n,
			       (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
		} else if (strcmp(a, "mmap") == 0) {
			size_t len = 64 << 20;
			char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p != MAP_FAILED) {
				p[0] = 1;
				munmap(p, len);
			}
		} else if (strcmp(a, "bind80") == 0) {
			int fd = socket(AF_INET, SOCK_STREAM, 0);
			struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(80) };
			addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			int r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
			printf("bind80 %d\n", r);
			close(fd);
		} else if (strcmp(a, "chown") == 0 && i + 1 < argc) {
			int r = chown(argv[++i], 65534, 65534);
			printf("chown %d\n", r);
		} else if (strcmp(a, "perf-cpu") == 0) {
			struct perf_event_attr attr;
			memset(&attr, 0, sizeof(attr));
			attr.size = sizeof(attr);
			attr.type = PERF_TYPE_SOFTWARE;
			attr.config = PERF_COUNT_SW_CPU_CLOCK;
			attr.disabled = 1;
			long fd = syscall(SYS_perf_event_open, &attr, -1 /* any task */, 0 /* cpu 0 */, -1, 0);
			printf("perf-cpu %ld\n", fd >= 0 ? 0L : -1L);
			if (fd >= 0)
				close((int)fd);
		} else if (strcmp(a, "userns-hostname") == 0) {
			int r = unshare(CLONE_NEWUSER | CLONE_NEWUTS);
			if (r == 0)
				r = sethostname("leastcap-test", 13);
			printf("userns-hostname %d\n", r);
		} else if (strcmp(a, "exec") == 0 && i + 1 < argc) {
			execv(argv[i + 1], &argv[i + 1]);
			return 3;
		} else {
			fprintf(stderr, "capprog: unknown action %s\n", a);
			return 2;
		}
	}
	return 0;
}
