/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pingpong - cost of one pipe round trip between two processes
 * SYNOPSIS
 *	pingpong [same-core]
 * DESCRIPTION
 *	A parent and a child pass one byte back and forth over two pipes
 *	200,000 times and the parent prints round trips per second and
 *	microseconds per round trip. With an argument other than 0 both
 *	are bound to CPU 0 (as afl-fuzz binds itself and its target), else
 *	they float. Each AFL++ persistent-mode execution costs at least
 *	two such round trips (afl-fuzz to the fork server and back, the
 *	fork server to the stopped child with SIGCONT and back with
 *	SIGSTOP and wait4), so this bounds what afl-fuzz can reach on the
 *	machine whatever the target does. Build it by hand:
 *	cc -O2 -o /tmp/pingpong fuzz/baseline/pingpong.c
 * DIAGNOSTICS
 *	Exit 1 with the failing call named on stderr.
 */
#define _GNU_SOURCE		/* sched_setaffinity */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS	200000

int main(int argc, char **argv)
{
	int down[2], up[2], same = argc > 1 && atoi(argv[1]) != 0, i;
	struct timespec t0, t1;
	char c = 0;
	double sec;
	pid_t pid;

	if (pipe(down) < 0 || pipe(up) < 0) {
		perror("pingpong: pipe");
		return 1;
	}
	if (same) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(0, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0) {
			perror("pingpong: sched_setaffinity");
			return 1;
		}
	}
	pid = fork();
	if (pid < 0) {
		perror("pingpong: fork");
		return 1;
	}
	if (pid == 0) {
		for (i = 0; i < ROUNDS; i++)
			if (read(down[0], &c, 1) != 1 || write(up[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < ROUNDS; i++) {
		if (write(down[1], &c, 1) != 1 || read(up[0], &c, 1) != 1) {
			perror("pingpong: pipe I/O");
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waitpid(pid, NULL, 0);
	sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%s: %.0f round trips/s, %.2f us each\n", same ? "same core" : "floating",
	       ROUNDS / sec, sec / ROUNDS * 1e6);
	return 0;
}
