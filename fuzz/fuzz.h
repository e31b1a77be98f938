/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz - the one entry point every fuzz target defines
 * SYNOPSIS
 *	#include "fuzz/fuzz.h"
 *
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 *	FUZZ_CHECK(cond)
 * DESCRIPTION
 *	Each fuzz/targets/fuzz_<module>_<entry>.c defines LLVMFuzzerTestOneInput()
 *	and nothing else that is visible. The same object is linked three
 *	ways: with libFuzzer, with AFL++'s libAFLDriver (persistent mode)
 *	and with fuzz/replay_main.c (plain replay of files, make test).
 *
 *	FUZZ_CHECK() states an invariant of the code under test (a round
 *	trip, two parsers agreeing). It is never compiled out: a broken
 *	invariant aborts, which every fuzzer records as a crash.
 *
 *	Targets are deterministic: no clock, no randomness, no
 *	environment, no files, no output, no state kept between calls.
 * DIAGNOSTICS
 *	LLVMFuzzerTestOneInput returns 0. Bugs abort.
 */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) \
			abort(); \
	} while (0)

#endif
